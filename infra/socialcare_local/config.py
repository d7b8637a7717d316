"""The local stack's configuration file (TOML): platform secrets and the brand's accounts.

``socialcare local --config FILE`` and ``socialcare demo --config FILE`` read it; without
``--config`` the built-in demo defaults below are used (they are the same values as
``local.example.toml`` beside this module). The format::

    # The brand the demo and the platform sandbox speak for. Each platform's table is optional,
    # but a platform whose account is listed needs its secrets below.
    [accounts]
    brand_name = "Acme Outfitters"

    [accounts.facebook]        # a Facebook Page: Messenger and Page comments
    page_id = "104560123456789"
    name = "Acme Outfitters"

    [accounts.instagram]       # an Instagram professional account: DMs and comments
    account_id = "17841400000000001"
    username = "acme.outfitters"

    [accounts.whatsapp]        # a WhatsApp Cloud API number
    phone_number_id = "106540352242922"
    display_phone_number = "15550783881"
    business_account_id = "102290129340398"

    [accounts.x]               # an X account subscribed to the Account Activity API
    user_id = "1600000000000000001"
    screen_name = "AcmeCare"

    [accounts.telegram]        # a Telegram bot
    bot_id = "7100000001"
    username = "acme_care_bot"

    # Platform secrets. These tables are, field for field, the Secrets Manager secret the
    # functions read in AWS (see socialcare/platforms/credentials.py); the local stack stores
    # them as that secret inside the in-process AWS services.
    [meta]
    app_secrets = ["..."]          # first one signs sandbox deliveries; more allow rotation
    verify_token = "..."           # answered in the hub.verify_token handshake
    [meta.page_tokens]             # page, Instagram or phone_number id -> access token
    "104560123456789" = "..."

    [x]
    consumer_secrets = ["..."]     # CRC responses and webhook signatures
    [x.user_tokens]                # X user id -> OAuth 2.0 user token
    "1600000000000000001" = "..."

    [[telegram.bots]]              # one table per bot
    bot_id = "7100000001"
    secret_token = "..."           # setWebhook secret_token: 1-256 of A-Z a-z 0-9 _ -
    bot_token = "7100000001:..."

    # Optional: where the stack listens (command-line flags win).
    [stack]
    host = "127.0.0.1"
    port = 8080                    # webhook endpoints
    aws_port = 4566                # in-process AWS services (--endpoint-url)
    api_port = 8081                # the agent API (--api-port)
    reply_port = 8082              # the platform sandbox's reply APIs (Graph, X, Telegram)
    region = "us-east-1"

    # Optional: the agent API's local secrets (the demo values below when absent).
    [api]
    token_secret = "..."           # signs `socialcare token` tokens; the local API gateway verifies them
                                   # (in AWS, Cognito signs ID tokens and API Gateway verifies them)
    cursor_secret = "..."          # signs pagination cursors: the Secrets Manager secret socialcare/api
                                   # ({"cursor_key": ...}) that the CDK app generates in AWS

    # Optional: the brand profile every account above starts with (the agent API reads and admins
    # change it at /accounts/{account_id}/profile; see socialcare/model/profile.py).
    [brand]
    signature_style = "first_name" # full_name ("— Alice Smith"), first_name ("— Alice"), initials ("^AS"), none
    human_agent_tag = true         # Meta granted the HUMAN_AGENT tag: Messenger/Instagram replies up to 7 days
    move_to_private_text = "..."   # the public reply of "move to private" (placeholders allowed)
    [[brand.canned_responses]]     # any number; placeholders: {customer_name} {customer_handle}
    id = "late-order"              # {agent_name} {agent_first_name} {brand_name} {case_id}
    title = "Late order"
    text = "Hi {customer_name}, ..."
    [brand.acknowledgement]        # the automatic acknowledgement of a new case (socialcare/model/automation.py)
    enabled = false                # off by default; text = "..." ({expected_reply} {availability} ...)
    [brand.nudge]                  # the follow-up nudge: text = "...", whatsapp_template = { name, language }

    # Optional: the SLA configuration the stack starts with (admins change it through the agent API
    # at /admin/sla/...). Without these tables, due times follow the per-channel response targets.
    [[calendars]]                  # business calendars (socialcare/rules/calendar.py), any number
    name = "berlin-office"
    time_zone = "Europe/Berlin"
    hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"] }   # mon..sun, shifts HH:MM-HH:MM
    holidays = { country = "DE", subdivision = "BE" }
    closed_dates = ["2026-12-24"]

    [policies.default]             # SLA policies by name (socialcare/rules/policies.py); needs [[calendars]]
    calendar = "berlin-office"     # one of the calendars above
    match = {}                     # exactly one policy with an empty match: the default
    targets_minutes = { first_response = 60, next_response = 120, resolution = 2880 }

    [[departments]]                # departments cases can be handed to (socialcare/model/department.py)
    id = "billing"
    name = "Billing"
    manager = { name = "...", email = "..." }
    [[departments.contacts]]       # a name and at least one of email, phone, chat_webhook_url
    name = "Billing desk"
    email = "..."
    # Optional: shorter response targets for demos and tests (rules/sla.py's defaults when absent:
    # 60 minutes on public channels, 240 in private ones). The case clock warns at 75 % of a target,
    # notifies the team lead at 100 % and the manager at 150 %.
    [sla]
    minutes = { x_post = 5, messenger = 10 }   # per channel, whole minutes
    seconds = { telegram = 20 }                # per channel, seconds (wins over minutes): tests, demos
    # Optional: the brand's routing rules (shape in rules/routing_rules.py), stored as version 1 at
    # start; admins change them through the agent API. Absent: none, every new case goes to the
    # account's team (sensitive ones to trained-care).
    [routing]
    version = 1
    lists = { journalists = ["x:@jdoe"], blocked = [] }
    [[routing.rules]]
    name = "press-account"
    when = { accounts = ["<press account id>"] }
    then = { team = "pr", priority = "high", tags = ["press"], automated_messages_allowed = false }
    # Optional: surge detection (SURGE_SETTINGS of ingest and the surge check; shape in
    # rules/surges.py). Absent: the defaults (accounts and routing tags counted, no keyword topics).
    # The stack runs the check itself every check_every_seconds (moto never fires the 5-minute schedule).
    [surges]
    keywords = { outage = ["outage", "down", "not working"] }
    min_count = 20
    factor = 3
    baseline_buckets = 12
    check_every_seconds = 30

A file replaces the defaults as a whole: a platform whose tables are absent is simply not configured.
The built-in defaults have no SLA tables.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from socialcare import errors as domain_errors
from socialcare.errors import CredentialsInvalid, InvalidConfig
from socialcare.model.config import POLICY_SET_NAME, ROUTING_RULES_NAME, ConfigKind
from socialcare.model.department import Department
from socialcare.model.profile import BrandProfile, profile_from_document
from socialcare.platforms.credentials import PlatformCredentials
from socialcare.rules.calendar import BusinessCalendar
from socialcare.rules.policies import PolicySet
from socialcare.rules.routing_rules import RoutingRules
from socialcare.rules.sla import ResponseTargets
from socialcare.rules.surges import SurgeSettings

T = TypeVar("T")

EXAMPLE_CONFIG_PATH = Path(__file__).with_name("local.example.toml")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_AWS_PORT = 4566
DEFAULT_REPLY_PORT = 8082
DEFAULT_API_PORT = 8081
# The agent API's local secrets when the config file has no [api] table (local use only).
DEMO_TOKEN_SECRET = "local-agent-token-secret-3f9a1c77e2b0"  # noqa: S105 - local demo value, as in the example file
DEMO_CURSOR_SECRET = "local-cursor-secret-8d41b6e0c5f2"  # noqa: S105 - local demo value, as in the example file
DEFAULT_REGION = "us-east-1"
DEFAULT_SURGE_CHECK_S = 30.0

_TELEGRAM_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ConfigError(Exception):
    """The configuration file cannot be used; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class BrandAccounts:
    """The brand's accounts on each platform (``None`` where the brand has none)."""

    brand_name: str = "Acme"
    facebook_page_id: str | None = None
    facebook_page_name: str | None = None
    instagram_account_id: str | None = None
    instagram_username: str | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_display_phone_number: str | None = None
    whatsapp_business_account_id: str | None = None
    x_user_id: str | None = None
    x_screen_name: str | None = None
    telegram_bot_id: str | None = None
    telegram_bot_username: str | None = None


@dataclass(frozen=True, slots=True)
class StackSettings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    aws_port: int = DEFAULT_AWS_PORT
    region: str = DEFAULT_REGION
    reply_port: int = DEFAULT_REPLY_PORT
    api_port: int = DEFAULT_API_PORT


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """The agent API's local secrets: the token signing key and the cursor key."""

    token_secret: str = DEMO_TOKEN_SECRET
    cursor_secret: str = DEMO_CURSOR_SECRET

    @property
    def secret_document(self) -> dict[str, str]:
        """The ``socialcare/api`` secret, exactly as stored in Secrets Manager."""
        return {"cursor_key": self.cursor_secret}


@dataclass(frozen=True, slots=True)
class LocalConfig:
    """Everything the local stack and the sandbox need to know about the platforms."""

    secret_document: Mapping[str, Any]  # the platform secret, exactly as stored in Secrets Manager
    credentials: PlatformCredentials
    accounts: BrandAccounts
    stack: StackSettings = field(default_factory=StackSettings)
    source: Path | None = None  # None: the built-in demo defaults
    api: ApiSettings = field(default_factory=ApiSettings)
    brand: Mapping[str, Any] = field(default_factory=dict)  # the [brand] profile document
    # The SLA configuration to store at start ([[calendars]], [policies], [[departments]]), each
    # (kind, name, document) validated and normalised, calendars before the policies that name them.
    sla_documents: tuple[tuple[ConfigKind, str, Mapping[str, object]], ...] = ()
    sla: ResponseTargets | None = None  # the [sla] response targets; None: the defaults
    routing: RoutingRules | None = None  # the [routing] rules; None: none configured
    surges: SurgeSettings | None = None  # the [surges] settings; None: the defaults
    surge_check_every_s: float = DEFAULT_SURGE_CHECK_S  # how often the stack runs the surge check

    def brand_profile(self, account_id: str) -> BrandProfile:
        """The profile an account starts with: ``[brand]`` over the defaults, named ``brand_name``."""
        base = BrandProfile.default(account_id, self.accounts.brand_name)
        return profile_from_document(account_id, self.brand, base=base)

    @property
    def stored_documents(self) -> tuple[tuple[ConfigKind, str, Mapping[str, object]], ...]:
        """What the stack stores as version 1 of the configuration at start: the SLA documents, then the
        ``[routing]`` rules (what ingest routes by; admins change them through the agent API)."""
        if self.routing is None:
            return self.sla_documents
        routing = (ConfigKind.ROUTING_RULES, ROUTING_RULES_NAME, {**self.routing.to_config(), "version": 1})
        return (*self.sla_documents, routing)

    @property
    def account_ids(self) -> tuple[str, ...]:
        a = self.accounts
        ids = (a.facebook_page_id, a.instagram_account_id, a.whatsapp_phone_number_id, a.x_user_id, a.telegram_bot_id)
        return tuple(i for i in ids if i)

    # --- what the sandbox signs with ---------------------------------------------------------
    @property
    def meta_app_secret(self) -> str:
        if self.credentials.meta is None:
            raise ConfigError("no [meta] secrets are configured")
        return self.credentials.meta.app_secrets[0]

    @property
    def meta_verify_token(self) -> str:
        if self.credentials.meta is None:
            raise ConfigError("no [meta] secrets are configured")
        return self.credentials.meta.verify_token

    @property
    def x_consumer_secret(self) -> str:
        if self.credentials.x is None:
            raise ConfigError("no [x] secrets are configured")
        return self.credentials.x.consumer_secrets[0]

    def telegram_secret_token(self, bot_id: str | None = None) -> str:
        wanted = bot_id or self.accounts.telegram_bot_id
        for bot in self.credentials.telegram_bots:
            if wanted is None or bot.bot_id == wanted:
                return bot.secret_token
        raise ConfigError(f"no [[telegram.bots]] entry for bot {wanted}")

    @property
    def source_label(self) -> str:
        return str(self.source) if self.source else "built-in demo defaults"


def load_config(path: str | Path | None = None) -> LocalConfig:
    """Read ``path`` (TOML), or return the built-in demo defaults when ``path`` is None."""
    if path is None:
        return config_from_dict(DEMO_DEFAULTS, source=None)
    file = Path(path)
    try:
        doc = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{file}: no such file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from exc
    try:
        return config_from_dict(doc, source=file)
    except ConfigError as exc:
        raise ConfigError(f"{file}: {exc}") from exc


def config_from_dict(doc: Mapping[str, Any], *, source: Path | None = None) -> LocalConfig:
    known = (
        "accounts",
        "meta",
        "x",
        "telegram",
        "stack",
        "api",
        "brand",
        "calendars",
        "policies",
        "departments",
        "sla",
        "routing",
        "surges",
    )
    unknown = set(doc) - set(known)
    if unknown:
        raise ConfigError(f"unknown table(s) {sorted(unknown)}; expected {', '.join(known)}")
    secret_document = {key: _plain(doc[key]) for key in ("meta", "x", "telegram") if key in doc}
    try:
        credentials = PlatformCredentials.from_dict(secret_document)
    except CredentialsInvalid as exc:
        raise ConfigError(exc.message) from exc
    for bot in credentials.telegram_bots:
        if not _TELEGRAM_SECRET_TOKEN.match(bot.secret_token):
            raise ConfigError(f"telegram bot {bot.bot_id}: secret_token may only use A-Z a-z 0-9 _ - (1-256 chars)")
    accounts = _accounts(doc.get("accounts") or {})
    _check_accounts_have_secrets(accounts, credentials)
    config = LocalConfig(
        secret_document=secret_document,
        credentials=credentials,
        accounts=accounts,
        stack=_stack(doc.get("stack") or {}),
        source=source,
        api=_api(doc.get("api") or {}),
        brand=_plain(doc.get("brand") or {}),
        sla_documents=sla_documents(doc),
        sla=_sla(doc.get("sla")),
        routing=_routing(doc.get("routing")),
        **_surges(doc.get("surges")),
    )
    try:
        config.brand_profile("check")
    except domain_errors.SocialCareError as exc:
        raise ConfigError(f"[brand]: {exc.message}") from exc
    return config


def sla_documents(doc: Mapping[str, Any]) -> tuple[tuple[ConfigKind, str, Mapping[str, object]], ...]:
    """The [[calendars]], [policies] and [[departments]] tables, validated as the agent API validates
    them (a ``ConfigError`` names the field) and normalised as it stores them."""
    calendars = [
        _checked(BusinessCalendar.from_config, raw, f"calendars[{i}]")
        for i, raw in enumerate(_tables(doc, "calendars"))
    ]
    departments = [
        _checked(Department.from_config, raw, f"departments[{i}]") for i, raw in enumerate(_tables(doc, "departments"))
    ]
    _unique([c.name for c in calendars], "calendars", "name")
    _unique([d.department_id for d in departments], "departments", "id")
    found = [(ConfigKind.CALENDAR, c.name, c.to_config()) for c in calendars]
    if "policies" in doc:
        policies = _policy_set(doc["policies"], [c.name for c in calendars])
        found.append((ConfigKind.SLA_POLICIES, POLICY_SET_NAME, policies.to_config()))
    found += [(ConfigKind.DEPARTMENT, d.department_id, d.to_config()) for d in departments]
    return tuple(found)


def _tables(doc: Mapping[str, Any], name: str) -> list[Any]:
    tables = doc.get(name, [])
    if not isinstance(tables, list):
        raise ConfigError(f"{name} must be an array of tables: write [[{name}]]")
    return [_json_like(table) for table in tables]


def _policy_set(raw: object, calendars: list[str]) -> PolicySet:
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError("[policies] must hold one table per policy: [policies.<name>]")
    policies = []
    for name, table in raw.items():
        if not isinstance(table, Mapping) or table.get("name", name) != name:
            raise ConfigError(f"policies.{name} must be a table (its name is the key)")
        policies.append({**_json_like(table), "name": name})
    policy_set = _checked(PolicySet.from_config, {"version": 1, "policies": policies}, "")
    try:
        policy_set.require_calendars(calendars)
    except InvalidConfig as exc:
        raise ConfigError(f"{exc.field}: {exc.reason} (define it in [[calendars]])") from exc
    return policy_set


def _checked(parse: Callable[[Any], T], raw: Any, where: str) -> T:
    try:
        return parse(raw)
    except InvalidConfig as exc:
        raise ConfigError(f"{where}{'.' if where else ''}{exc.field}: {exc.reason}") from exc


def _unique(names: list[str], table: str, key: str) -> None:
    for index, name in enumerate(names):
        if name in names[:index]:
            raise ConfigError(f"{table}[{index}].{key}: {name!r} is defined twice")


def _json_like(value: Any) -> Any:
    """TOML values as the agent API receives them in JSON: dates and times as ISO text."""
    if isinstance(value, Mapping):
        return {str(k): _json_like(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_like(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _sla(doc: Any) -> ResponseTargets | None:
    if doc is None:
        return None
    try:
        return ResponseTargets.from_config(_plain(doc))
    except domain_errors.InvalidConfig as exc:
        raise ConfigError(f"[sla]: {exc.message}") from exc


def _routing(doc: Any) -> RoutingRules | None:
    if doc is None:
        return None
    try:
        return RoutingRules.from_config(_json_like(doc))
    except domain_errors.InvalidConfig as exc:
        raise ConfigError(f"[routing]: {exc.message}") from exc


def _surges(doc: Any) -> dict[str, Any]:
    """The [surges] settings and the local check's period (``check_every_seconds``, the stack's own)."""
    if doc is None:
        return {}
    if not isinstance(doc, Mapping):
        raise ConfigError("[surges] must be a table")
    settings = dict(_json_like(doc))
    every = settings.pop("check_every_seconds", DEFAULT_SURGE_CHECK_S)
    if isinstance(every, bool) or not isinstance(every, int | float) or not 0 < every <= 3600:
        raise ConfigError("[surges] check_every_seconds: must be a number of seconds from above 0 to 3600")
    try:
        return {"surges": SurgeSettings.from_config(settings), "surge_check_every_s": float(every)}
    except domain_errors.InvalidConfig as exc:
        raise ConfigError(f"[surges]: {exc.message}") from exc


def _api(doc: Mapping[str, Any]) -> ApiSettings:
    unknown = set(doc) - {"token_secret", "cursor_secret"}
    if unknown:
        raise ConfigError(f"[api]: unknown key(s) {sorted(unknown)}")
    defaults = ApiSettings()
    settings = ApiSettings(
        token_secret=doc.get("token_secret", defaults.token_secret),
        cursor_secret=doc.get("cursor_secret", defaults.cursor_secret),
    )
    for name in ("token_secret", "cursor_secret"):
        value = getattr(settings, name)
        if not isinstance(value, str) or len(value) < 16:
            raise ConfigError(f"api.{name} must be a string of at least 16 characters")
    return settings


def _accounts(doc: Mapping[str, Any]) -> BrandAccounts:
    def text(section: str, key: str) -> str | None:
        table = doc.get(section) or {}
        if not isinstance(table, Mapping):
            raise ConfigError(f"[accounts.{section}] must be a table")
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str) or not value:
            raise ConfigError(f"accounts.{section}.{key} must be a non-empty string")
        return value

    return BrandAccounts(
        brand_name=str(doc.get("brand_name") or "Acme"),
        facebook_page_id=text("facebook", "page_id"),
        facebook_page_name=text("facebook", "name"),
        instagram_account_id=text("instagram", "account_id"),
        instagram_username=text("instagram", "username"),
        whatsapp_phone_number_id=text("whatsapp", "phone_number_id"),
        whatsapp_display_phone_number=text("whatsapp", "display_phone_number"),
        whatsapp_business_account_id=text("whatsapp", "business_account_id"),
        x_user_id=text("x", "user_id"),
        x_screen_name=text("x", "screen_name"),
        telegram_bot_id=text("telegram", "bot_id"),
        telegram_bot_username=text("telegram", "username"),
    )


def _check_accounts_have_secrets(accounts: BrandAccounts, credentials: PlatformCredentials) -> None:
    meta_accounts = (accounts.facebook_page_id, accounts.instagram_account_id, accounts.whatsapp_phone_number_id)
    if any(meta_accounts) and credentials.meta is None:
        raise ConfigError("Meta accounts are listed under [accounts] but there is no [meta] table of secrets")
    if accounts.x_user_id and credentials.x is None:
        raise ConfigError("accounts.x.user_id is set but there is no [x] table of secrets")
    if accounts.telegram_bot_id and accounts.telegram_bot_id not in {b.bot_id for b in credentials.telegram_bots}:
        raise ConfigError(f"accounts.telegram.bot_id {accounts.telegram_bot_id} has no [[telegram.bots]] entry")


def _stack(doc: Mapping[str, Any]) -> StackSettings:
    unknown = set(doc) - {"host", "port", "aws_port", "region", "reply_port", "api_port"}
    if unknown:
        raise ConfigError(f"[stack]: unknown key(s) {sorted(unknown)}")
    settings = StackSettings(
        host=str(doc.get("host", DEFAULT_HOST)),
        port=doc.get("port", DEFAULT_PORT),
        aws_port=doc.get("aws_port", DEFAULT_AWS_PORT),
        region=str(doc.get("region", DEFAULT_REGION)),
        reply_port=doc.get("reply_port", DEFAULT_REPLY_PORT),
        api_port=doc.get("api_port", DEFAULT_API_PORT),
    )
    for name in ("port", "aws_port", "reply_port", "api_port"):
        value = getattr(settings, name)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 65535:
            raise ConfigError(f"stack.{name} must be a port number (0-65535)")
    return settings


def _plain(value: Any) -> Any:
    """TOML tables as plain dicts and ids as strings, ready to be stored as the JSON secret."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


# The demo brand. Ids have each platform's real form; the secrets are for local use only.
DEMO_DEFAULTS: dict[str, Any] = {
    "accounts": {
        "brand_name": "Acme Outfitters",
        "facebook": {"page_id": "104560123456789", "name": "Acme Outfitters"},
        "instagram": {"account_id": "17841400000000001", "username": "acme.outfitters"},
        "whatsapp": {
            "phone_number_id": "106540352242922",
            "display_phone_number": "15550783881",
            "business_account_id": "102290129340398",
        },
        "x": {"user_id": "1600000000000000001", "screen_name": "AcmeCare"},
        "telegram": {"bot_id": "7100000001", "username": "acme_care_bot"},
    },
    "meta": {
        "app_secrets": ["local-meta-app-secret-5d1c0e9a"],
        "verify_token": "local-meta-verify-token",
        "page_tokens": {
            "104560123456789": "local-page-token-facebook",
            "17841400000000001": "local-page-token-instagram",
            "106540352242922": "local-page-token-whatsapp",
        },
    },
    "x": {
        "consumer_secrets": ["local-x-consumer-secret-7b2f4c81"],
        "user_tokens": {"1600000000000000001": "local-x-user-token"},
    },
    "telegram": {
        "bots": [
            {
                "bot_id": "7100000001",
                "secret_token": "local-telegram-secret-token",
                "bot_token": "7100000001:AAE-local-telegram-bot-token-0000000",
            }
        ]
    },
    "api": {"token_secret": DEMO_TOKEN_SECRET, "cursor_secret": DEMO_CURSOR_SECRET},
    "brand": {
        "signature_style": "first_name",
        "human_agent_tag": True,
        "move_to_private_text": (
            "Sorry to hear this, {customer_name}. Please send us a direct message with your order number "
            "and we'll sort it out."
        ),
        "canned_responses": [
            {
                "id": "late-order",
                "title": "Late order",
                "text": "Hi {customer_name}, I'm sorry your order is late. I'm checking with the warehouse now "
                "and will update you here within the hour.",
            },
            {
                "id": "refund-started",
                "title": "Refund started",
                "text": "Hi {customer_name}, your refund is on its way: it takes 3-5 working days to show. "
                "Your reference is {case_id}.",
            },
            {
                "id": "thanks",
                "title": "Thanks for your patience",
                "text": "Thanks for your patience, {customer_name}. Anything else I can help with?",
            },
        ],
    },
}
