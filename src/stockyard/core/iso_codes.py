"""ISO 4217 currency and ISO 3166-1 alpha-2 country codes, checked against pycountry's tables."""

import pycountry

from stockyard.core.errors import ValidationFailed


def check_currency(value: str, field: str = "currency") -> str:
    code = value.strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise ValidationFailed(f"'{value}' is not an ISO 4217 currency code (like EUR, USD)", field=field)
    return code


def check_country(value: str, field: str = "country") -> str:
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValidationFailed(f"'{value}' is not an ISO 3166-1 alpha-2 country code (like DE, GB)", field=field)
    return code
