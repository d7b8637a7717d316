"""Placeholder agent API, so the infrastructure can package, wire and check a real Chalice app.

Replaced by the agent API (issue 3). One authenticated route: who the caller is, from the claims
the Cognito user pool authorizer passed through.
"""

from __future__ import annotations

from typing import Any

from chalice import Chalice, CognitoUserPoolAuthorizer
from socialcare import constants as c

app = Chalice(app_name=c.AGENT_API_APP_NAME)

# The deployment points the authorizer at the stack's user pool (socialcare_infra AgentApi);
# this ARN only has to be well-formed for `chalice package`.
agents = CognitoUserPoolAuthorizer(
    "agents", provider_arns=["arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_placeholder"]
)


@app.route("/me", methods=["GET"], authorizer=agents)
def me() -> dict[str, Any]:
    context = app.current_request.context if app.current_request else {}
    claims = context.get("authorizer", {}).get("claims", {})
    return {
        "username": claims.get("cognito:username"),
        "groups": claims.get("cognito:groups", ""),
        "teams": claims.get(f"custom:{c.TEAMS_ATTRIBUTE}", ""),
    }
