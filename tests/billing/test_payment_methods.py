"""Payment methods: settings validated per gateway, secrets stored encrypted and never returned."""

import pytest
from sqlalchemy import select

from stockyard.billing import config
from stockyard.billing.models import PaymentMethod
from stockyard.core.errors import ValidationFailed
from stockyard.core.uow import perform, read
from tests.conftest import TenantCtx

SECRET = "sk_test_abcdefghijklmnop1234"


def stripe(**secrets: str) -> config.PaymentMethodIn:
    return config.PaymentMethodIn(name="Card", gateway="stripe", settings={"publishable_key": "pk_test_0123456789ab"},
                                  secrets=secrets)


def test_secrets_are_encrypted_at_rest_and_only_hinted(tenant: TenantCtx) -> None:
    method_id = perform(tenant.engine, tenant.actor, config.create_payment_method,
                        stripe(secret_key=SECRET, webhook_secret="whsec_0123456789abcdef"))
    with tenant.uow() as uow:
        stored = uow.execute(select(PaymentMethod).where(PaymentMethod.id == method_id)).scalar_one()
        assert SECRET not in str(stored.secrets) and set(stored.secrets) == {"secret_key", "webhook_secret"}
    view = read(tenant.engine, tenant.actor, config.get_payment_method, method_id)
    assert view.secrets["secret_key"] == "set, ends with …1234"
    # Saving without typing the secrets again keeps them.
    perform(tenant.engine, tenant.actor, config.update_payment_method, method_id, stripe())
    assert read(tenant.engine, tenant.actor, config.get_payment_method, method_id).secrets["secret_key"].endswith(
        "1234")


@pytest.mark.parametrize(("cmd", "field"), [
    (stripe(secret_key=SECRET), "secrets.webhook_secret"),
    (stripe(secret_key="nope", webhook_secret="whsec_0123456789abcdef"), "secrets.secret_key"),
    (config.PaymentMethodIn(name="Bank", gateway="manual_bank_transfer",
                            settings={"account_holder": "Acme", "iban": "DE89370400440532013001"}), "settings.iban"),
    (config.PaymentMethodIn(name="X", gateway="paypal"), "gateway"),
])
def test_bad_settings_name_the_field_and_store_nothing(tenant: TenantCtx, cmd: config.PaymentMethodIn,
                                                       field: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        perform(tenant.engine, tenant.actor, config.create_payment_method, cmd)
    assert error.value.field == field
    assert read(tenant.engine, tenant.actor, config.list_payment_methods).total == 0


def test_a_gateway_without_an_adapter_is_never_offered_at_checkout(tenant: TenantCtx) -> None:
    from stockyard.billing.offered import offered_payment_methods

    perform(tenant.engine, tenant.actor, config.create_payment_method,
            stripe(secret_key=SECRET, webhook_secret="whsec_0123456789abcdef"))
    test_card = perform(tenant.engine, tenant.actor, config.create_payment_method,
                        config.PaymentMethodIn(name="Test card", gateway="test", settings={"outcome": "approve"}))
    offered = read(tenant.engine, tenant.actor, offered_payment_methods, 0)
    assert [m.id for m in offered] == [test_card]
