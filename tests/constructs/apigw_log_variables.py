"""The ``$context`` variables API Gateway documents for access logs, kept here to test formats against.

API Gateway refuses a stage whose access log format names a variable it does not support (400,
"Invalid variable reference"), which rolls back the whole stack; synth cannot know. So the
construct's formats may use only what these lists hold. ``<property>`` stands for any name.

Sources (Amazon API Gateway Developer Guide):
- WebSocket APIs: "Configure logging for WebSocket APIs in API Gateway",
  https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-logging.html
  (as in awsdocs/amazon-api-gateway-developer-guide, doc_source/websocket-api-logging.md,
  commit b60d40a9308eb012b57b3190fa09ca2ec1073688)
- HTTP APIs: "Customize HTTP API access logs",
  https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html
  (as in the same repository, doc_source/http-api-logging-variables.md,
  commit 07d87356a250d8cccfcd2d47853086f5f0916864)
"""

from __future__ import annotations

WEBSOCKET = frozenset(
    {
        "$context.apiId",
        "$context.authorize.error",
        "$context.authorize.latency",
        "$context.authorize.status",
        "$context.authorizer.error",
        "$context.authorizer.integrationLatency",
        "$context.authorizer.integrationStatus",
        "$context.authorizer.latency",
        "$context.authorizer.requestId",
        "$context.authorizer.status",
        "$context.authorizer.principalId",
        "$context.authorizer.<property>",
        "$context.authenticate.error",
        "$context.authenticate.latency",
        "$context.authenticate.status",
        "$context.connectedAt",
        "$context.connectionId",
        "$context.domainName",
        "$context.error.message",
        "$context.error.messageString",
        "$context.error.responseType",
        "$context.error.validationErrorString",
        "$context.eventType",
        "$context.extendedRequestId",
        "$context.identity.accountId",
        "$context.identity.apiKey",
        "$context.identity.apiKeyId",
        "$context.identity.caller",
        "$context.identity.cognitoAuthenticationProvider",
        "$context.identity.sourceIp",
        "$context.identity.user",
        "$context.identity.userAgent",
        "$context.identity.userArn",
        "$context.integration.error",
        "$context.integration.integrationStatus",
        "$context.integration.latency",
        "$context.integration.requestId",
        "$context.integration.status",
        "$context.integrationLatency",
        "$context.messageId",
        "$context.requestId",
        "$context.requestTime",
        "$context.requestTimeEpoch",
        "$context.routeKey",
        "$context.stage",
        "$context.status",
        "$context.waf.error",
        "$context.waf.latency",
        "$context.waf.status",
    }
)

HTTP = frozenset(
    {
        "$context.accountId",
        "$context.apiId",
        "$context.authorizer.claims.<property>",
        "$context.authorizer.error",
        "$context.authorizer.principalId",
        "$context.authorizer.<property>",
        "$context.awsEndpointRequestId",
        "$context.awsEndpointRequestId2",
        "$context.dataProcessed",
        "$context.domainName",
        "$context.domainPrefix",
        "$context.error.message",
        "$context.error.messageString",
        "$context.error.responseType",
        "$context.extendedRequestId",
        "$context.httpMethod",
        "$context.identity.accountId",
        "$context.identity.caller",
        "$context.identity.cognitoAuthenticationProvider",
        "$context.identity.cognitoAuthenticationType",
        "$context.identity.cognitoIdentityId",
        "$context.identity.cognitoIdentityPoolId",
        "$context.identity.principalOrgId",
        "$context.identity.clientCert.clientCertPem",
        "$context.identity.clientCert.subjectDN",
        "$context.identity.clientCert.issuerDN",
        "$context.identity.clientCert.serialNumber",
        "$context.identity.clientCert.validity.notBefore",
        "$context.identity.clientCert.validity.notAfter",
        "$context.identity.sourceIp",
        "$context.identity.user",
        "$context.identity.userAgent",
        "$context.identity.userArn",
        "$context.integration.error",
        "$context.integration.integrationStatus",
        "$context.integration.latency",
        "$context.integration.requestId",
        "$context.integration.status",
        "$context.integrationErrorMessage",
        "$context.integrationLatency",
        "$context.integrationStatus",
        "$context.path",
        "$context.protocol",
        "$context.requestId",
        "$context.requestTime",
        "$context.requestTimeEpoch",
        "$context.responseLatency",
        "$context.responseLength",
        "$context.routeKey",
        "$context.stage",
        "$context.status",
    }
)


def documented(variable: str, documented: frozenset[str]) -> bool:
    """Whether ``variable`` is on the list, ``<property>`` standing for one name of any."""
    if variable in documented:
        return True
    head, _, _ = variable.rpartition(".")
    return f"{head}.<property>" in documented
