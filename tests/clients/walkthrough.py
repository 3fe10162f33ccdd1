"""The README walkthrough, driven through the Python client that `openapi-python-client`
generated from openapi/centralita.json: if the document and the server disagree, or the
generator drops an operation, this fails.

Usage: walkthrough.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD (the generated package on PYTHONPATH).
"""

import sys
import uuid

from centralita_client import AuthenticatedClient, Client
from centralita_client.api.auth import create_token
from centralita_client.api.domains import create_domain
from centralita_client.api.extensions import create_extension, list_extensions
from centralita_client.api.switch import create_switch_node, switch_route
from centralita_client.api.tenants import create_tenant, get_tenant
from centralita_client.api.users import create_user
from centralita_client.models import (
    CreateExtension,
    CreateSwitchNode,
    CreateTenant,
    CreateUser,
    CreateVoicemailBox,
    DomainInput,
    ExtensionPage,
    LoginRequest,
    PlanRing,
    Problem,
    Role,
    RoutePlan,
    RouteRequest,
    SwitchKind,
    TenantView,
    TokenPair,
)


def expect(response, status, model):
    """The parsed answer of `response`, which must have `status` and parse as `model`."""
    assert response.status_code == status, (
        f"expected {status}, got {response.status_code}: {response.content!r}"
    )
    assert isinstance(response.parsed, model), f"{type(response.parsed)} is not {model}"
    return response.parsed


def main(base, email, password):
    anonymous = Client(base_url=base, raise_on_unexpected_status=True)
    tokens = expect(
        create_token.sync_detailed(
            client=anonymous, body=LoginRequest(email=email, password=password)
        ),
        200,
        TokenPair,
    )
    admin = AuthenticatedClient(
        base_url=base, token=tokens.access_token, raise_on_unexpected_status=True
    )

    run = uuid.uuid4().hex[:8]
    tenant = expect(
        create_tenant.sync_detailed(client=admin, body=CreateTenant(name=f"Acme {run}")),
        201,
        TenantView,
    )
    sip_domain = f"acme-{run}.pbx.example.com"
    create_domain.sync_detailed(tenant.id, client=admin, body=DomainInput(name=sip_domain))

    user = create_user.sync_detailed(
        tenant.id,
        client=admin,
        body=CreateUser(
            email=f"luis-{run}@acme.example.com",
            display_name="Luis",
            role=Role.TENANT_USER,
            password="luis-password-1234",
            extension=CreateExtension(number="1001", display_name="Luis"),
            voicemail=CreateVoicemailBox(
                mailbox="1001", pin="480613", emails=[f"luis-{run}@acme.example.com"]
            ),
        ),
    )
    assert user.status_code == 201, user.content
    for number in ("1002", "1003", "1004"):
        created = create_extension.sync_detailed(
            tenant.id,
            client=admin,
            body=CreateExtension(number=number, display_name=f"Desk {number}"),
        )
        assert created.status_code == 201, created.content

    # Page through the extensions two at a time.
    numbers, cursor, pages = [], None, 0
    while True:
        kwargs = {"limit": 2}
        if cursor:
            kwargs["cursor"] = cursor
        page = expect(
            list_extensions.sync_detailed(tenant.id, client=admin, **kwargs),
            200,
            ExtensionPage,
        )
        pages += 1
        numbers += [e.number for e in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    assert numbers == ["1001", "1002", "1003", "1004"], numbers
    assert pages == 2, pages

    # A problem document, parsed as such.
    problem = expect(get_tenant.sync_detailed(uuid.uuid4(), client=admin), 404, Problem)
    assert problem.code == "not_found" and problem.request_id, problem

    # The switch's view of a call to 1001.
    node = create_switch_node.sync_detailed(
        client=admin,
        body=CreateSwitchNode(name=f"edge-{run}", kind=SwitchKind.KAMAILIO, addresses=["127.0.0.1"]),
    )
    assert node.status_code == 201, node.content
    switch = AuthenticatedClient(
        base_url=base, token=node.parsed.token, raise_on_unexpected_status=True
    )
    route = expect(
        switch_route.sync_detailed(
            client=switch,
            body=RouteRequest(domain=sip_domain, caller="1002", destination="1001"),
        ),
        200,
        RoutePlan,
    )
    assert isinstance(route.plan, PlanRing), route.plan
    print(
        f"walkthrough ok: tenant {tenant.slug}, {len(numbers)} extensions in {pages} pages, "
        f"plan {route.plan.action}"
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
