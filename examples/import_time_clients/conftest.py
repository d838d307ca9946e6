"""What the Lambda runtime provides before it imports a handler: a region and the function
role's credentials (fake ones here). The handler's clients pick them up at import; while a
pytest-localstack patch is active they are replaced by the fixture's identity."""

from __future__ import annotations

import os

LAMBDA_ENVIRONMENT = {
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "ASIAEXAMPLEFUNCTIONROLE",
    "AWS_SECRET_ACCESS_KEY": "example-secret-of-the-function-role",
    "AWS_SESSION_TOKEN": "example-session-token-of-the-function-role",
}
for name, value in LAMBDA_ENVIRONMENT.items():
    os.environ.setdefault(name, value)
