"""Real synths shared by the session (cdk-nag's AwsSolutions pack on): the example service, and
``gated``, a service with a socket of each kind (see ``tests.constructs.synth``)."""

from __future__ import annotations

import importlib
import json
import os

import pytest

from tests.constructs.synth import (
    CERTIFIED_THRESHOLDS,
    GATED_FAN_OUT_ABOVE,
    GATED_FAN_OUT_CONCURRENCY,
    GATED_IDENTITY_SOURCE,
    GATED_ROOM_THROTTLE,
    GATED_SERVICE,
    OPERATED_CERTIFICATE,
    OPERATED_DOMAIN,
    OPERATED_HTTP_DOMAIN,
    OPERATED_ZONE,
    OPERATED_ZONE_ID,
    PRESENCE_SERVICE,
    REPO,
    Synth,
    new_app,
    write_service,
)

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@pytest.fixture(scope="session")
def example(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """``my-service`` from ``examples.service``, as app.py deploys it, with cdk-nag checking."""
    import aws_cdk as cdk
    from aws_cdk.assertions import Template
    from cdk_nag import AwsSolutionsChecks

    from eventual.constructs import Service

    outdir = tmp_path_factory.mktemp("cdk.out")
    app = new_app(outdir)
    stack = cdk.Stack(app, "MyService")
    service = Service(stack, "Service", name="my-service", entry="examples.service", project_root=REPO)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth()  # raises if cdk-nag reports an unacknowledged finding
    template = assembly.get_stack_by_name("MyService").template
    report = json.loads((outdir / "validation-report.json").read_text())
    return Synth(service, template, Template.from_json(template), outdir, report)


@pytest.fixture(scope="session")
def gated(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """Service ``gated`` (entry ``svc_gated.service``, with ``fan_out_above`` and
    ``fan_out_concurrency`` set), plus ``Reporter``, a function of the user's own that was granted
    the connections table (``Synth.extra["reporter"]``)."""
    import aws_cdk as cdk
    from aws_cdk import aws_iam, aws_lambda
    from aws_cdk.assertions import Template
    from cdk_nag import AwsSolutionsChecks

    from eventual.constructs import Service

    root = tmp_path_factory.mktemp("gated-project")
    entry = write_service(root, "svc_gated", GATED_SERVICE)
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = new_app(outdir)
    stack = cdk.Stack(app, "Gated")
    service = Service(
        stack,
        "Service",
        name="gated",
        entry=entry,
        project_root=root,
        socket_authorizer_options={"gated-room": {"identity_source": GATED_IDENTITY_SOURCE}},
        socket_throttle={"gated-room": GATED_ROOM_THROTTLE},
        fan_out_above=GATED_FAN_OUT_ABOVE,
        fan_out_concurrency=GATED_FAN_OUT_CONCURRENCY,
    )
    reporter = aws_lambda.Function(
        stack,
        "Reporter",
        code=service.code_for(aws_lambda.Architecture.ARM_64),
        handler="svc_gated.service.report",
        runtime=service.runtime,
        architecture=aws_lambda.Architecture.ARM_64,
        role=aws_iam.Role(stack, "ReporterRole", assumed_by=aws_iam.ServicePrincipal("lambda.amazonaws.com")),
    )
    service.grant_connections(reporter)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    template = app.synth().get_stack_by_name("Gated").template
    report = json.loads((outdir / "validation-report.json").read_text())
    return Synth(service, template, Template.from_json(template), outdir, report, {"reporter": reporter})


@pytest.fixture(scope="session")
def presence(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The presence app (``tests/parity/service.py``, as ``svc_presence.service``): a tracked
    ``presence`` socket with an authorizer, and untracked ``admin``, ``guarded``, ``gate`` and
    ``orders`` sockets."""
    import aws_cdk as cdk
    from aws_cdk.assertions import Template
    from cdk_nag import AwsSolutionsChecks

    from eventual.constructs import Service

    root = tmp_path_factory.mktemp("presence-project")
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = new_app(outdir)
    stack = cdk.Stack(app, "Presence")
    # ``extra`` is in the entry's package but the entry never imports it: imported here, as a
    # test might, it must still not be deployed.
    extra = 'from eventual import socket\n\nextra = socket("extra", {})\n'
    entry = write_service(root, "svc_presence", PRESENCE_SERVICE, {"extra.py": extra})
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(root))
        importlib.import_module("svc_presence.extra")
    service = Service(stack, "Service", name="presence", entry=entry, project_root=root)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    template = app.synth().get_stack_by_name("Presence").template  # raises on a cdk-nag finding
    report = json.loads((outdir / "validation-report.json").read_text())
    return Synth(service, template, Template.from_json(template), outdir, report)


@pytest.fixture(scope="session")
def operated(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """One app, cdk-nag checking, two stacks of the example service operated two ways:

    - ``Operated`` (stage ``live``): every socket under ``OPERATED_DOMAIN`` and the HTTP API under
      ``OPERATED_HTTP_DOMAIN``, both in the hosted zone ``OPERATED_ZONE`` (certificates validated
      there, alias records written there); the dashboard; alarms with their defaults on the topic
      ``Synth.extra["topic"]``.
    - ``Certified`` (``Synth.extra["certified"]``, the template in ``extra["certified_template"]``):
      a domain with a certificate of the user's (``OPERATED_CERTIFICATE``) and no zone; no
      dashboard; alarms with other thresholds (``CERTIFIED_THRESHOLDS``); ``lobby``'s function
      logging text, as its options say.
    """
    import aws_cdk as cdk
    from aws_cdk import aws_kms, aws_lambda, aws_route53, aws_sns
    from aws_cdk.assertions import Template
    from cdk_nag import AwsSolutionsChecks

    from eventual.constructs import Alarms, Domain, Service

    outdir = tmp_path_factory.mktemp("cdk.out")
    app = new_app(outdir)
    stack = cdk.Stack(app, "Operated")
    zone = aws_route53.HostedZone.from_hosted_zone_attributes(
        stack, "Zone", hosted_zone_id=OPERATED_ZONE_ID, zone_name=OPERATED_ZONE
    )
    key = aws_kms.Alias.from_alias_name(stack, "SnsKey", "alias/aws/sns")
    topic = aws_sns.Topic(stack, "Alerts", enforce_ssl=True, master_key=key)
    service = Service(
        stack,
        "Service",
        name="my-service",
        entry="examples.service",
        project_root=REPO,
        stage="live",
        domain=Domain(OPERATED_DOMAIN, hosted_zone=zone),
        http_domain={"name": OPERATED_HTTP_DOMAIN, "hosted_zone": zone},
        alarms=Alarms(topic=topic),
    )
    other = cdk.Stack(app, "Certified")
    other_key = aws_kms.Alias.from_alias_name(other, "SnsKey", "alias/aws/sns")
    other_topic = aws_sns.Topic(other, "Alerts", enforce_ssl=True, master_key=other_key)
    certified = Service(
        other,
        "Service",
        name="certified",
        entry="examples.service",
        project_root=REPO,
        domain={"name": OPERATED_DOMAIN, "certificate": OPERATED_CERTIFICATE},
        dashboard=False,
        alarms={"topic": other_topic, **CERTIFIED_THRESHOLDS},
        socket_function_options={"lobby": {"logging_format": aws_lambda.LoggingFormat.TEXT}},
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth()  # raises if cdk-nag reports an unacknowledged finding
    template = assembly.get_stack_by_name("Operated").template
    report = json.loads((outdir / "validation-report.json").read_text())
    extra = {
        "topic": topic,
        "certified": certified,
        "certified_template": assembly.get_stack_by_name("Certified").template,
    }
    return Synth(service, template, Template.from_json(template), outdir, report, extra)
