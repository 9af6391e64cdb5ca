"""What runs inside Lambda: the event adapter, the handler entry and the management-API client.

Nothing here imports aws_cdk, click or the dev server's libraries; boto3 loads on first send.
"""
