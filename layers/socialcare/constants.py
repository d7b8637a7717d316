"""Names shared by the CDK app, the local stack, the functions and the tests.

One place, so a table or queue is never called two different things.
"""

from __future__ import annotations

# DynamoDB single table and its indexes (see aws/keys.py for the item layout).
TABLE_LOGICAL_NAME = "socialcare"
PARTITION_KEY = "PK"
SORT_KEY = "SK"
TTL_ATTRIBUTE = "expires_at"
QUEUE_INDEX = "GSI1"  # a team's cases ordered by response due time
QUEUE_INDEX_PK = "GSI1PK"
CUSTOMER_INDEX = "GSI2"  # every case of one customer on one brand account
CUSTOMER_INDEX_PK = "GSI2PK"
CUSTOMER_INDEX_SK = "GSI2SK"
# The due sort key (``<response due ms>#<case_id>``), shared by every index a list reads soonest due first.
DUE_SORT_KEY = "DUESK"
QUEUE_INDEX_SK = DUE_SORT_KEY  # a case set aside is never due: the review queue goes by case id (creation)
ASSIGNEE_INDEX = "GSI3"  # an agent's own open work
ASSIGNEE_INDEX_PK = "GSI3PK"
ASSIGNEE_INDEX_SK = DUE_SORT_KEY
DONE_INDEX = "GSI4"  # a team's resolved and closed cases, latest first
DONE_INDEX_PK = "GSI4PK"
DONE_INDEX_SK = "GSI4SK"
# A team's active cases by one filter each (socialcare/rules/views.py), soonest due first.
STATUS_INDEX = "GSI5"
STATUS_INDEX_PK = "GSI5PK"
CHANNEL_INDEX = "GSI6"
CHANNEL_INDEX_PK = "GSI6PK"
PRIORITY_INDEX = "GSI7"
PRIORITY_INDEX_PK = "GSI7PK"
TEAM_ASSIGNEE_INDEX = "GSI8"  # by owner, "none" for the unassigned
TEAM_ASSIGNEE_INDEX_PK = "GSI8PK"
# Every index a list of cases reads (the agent API's lists; not the customer index).
LIST_INDEXES = (
    QUEUE_INDEX,
    ASSIGNEE_INDEX,
    DONE_INDEX,
    STATUS_INDEX,
    CHANNEL_INDEX,
    PRIORITY_INDEX,
    TEAM_ASSIGNEE_INDEX,
)
CLOCK_INDEX = "GSI9"  # the case clocks still to start, by start time (sparse, KEYS_ONLY); GSI5-8: the views
CLOCK_INDEX_PK = "GSI9PK"
CLOCK_INDEX_SK = "GSI9SK"

# SQS: raw deliveries from the webhook to ingest, and their dead-letter queue.
INBOUND_QUEUE_LOGICAL_NAME = "socialcare-inbound"
INBOUND_DLQ_LOGICAL_NAME = "socialcare-inbound-dlq"
INBOUND_MAX_RECEIVE_COUNT = 5
INBOUND_VISIBILITY_TIMEOUT_S = 180
INGEST_BATCH_SIZE = 10

# SQS: agents' replies from the API to the outbound sender, and its dead-letter queue.
OUTBOUND_QUEUE_LOGICAL_NAME = "socialcare-outbound"
OUTBOUND_DLQ_LOGICAL_NAME = "socialcare-outbound-dlq"
OUTBOUND_BATCH_SIZE = 5
OUTBOUND_MAX_RECEIVE_COUNT = 8
OUTBOUND_VISIBILITY_TIMEOUT_S = 120
# The outbound function's timeout, and how long a claimed reply counts as "being sent" by the
# invocation that claimed it. The lease must outlast the function: a claim older than that was
# left by an invocation that died (see README, outbound: the never-twice guarantee).
OUTBOUND_FUNCTION_TIMEOUT_S = 60
OUTBOUND_CLAIM_LEASE_S = 90
OUTBOUND_HTTP_TIMEOUT_S = 10
# Backoff of retried sends (throttling, 5xx): base * 2^(attempt-1), capped; a platform's own
# retry-after wins. SQS visibility can be set up to 12 h; the cap keeps a reply from idling long.
OUTBOUND_RETRY_BASE_S = 2
OUTBOUND_RETRY_MAX_S = 900

# S3: every accepted raw delivery, kept for RAW_RETENTION_DAYS.
RAW_BUCKET_LOGICAL_NAME = "socialcare-raw"
RAW_RETENTION_DAYS = 90
# Amazon Data Firehose: one delivery stream per platform (``socialcare-raw-<platform>-<stage>``) into
# the raw bucket, under ``raw/<platform>/`` and Firehose's own ``YYYY/MM/dd/HH/`` time path, GZIP.
# Ingest archives the raw bodies the queue carried (aws/schema.py raw_stream_kwargs).
RAW_STREAM_LOGICAL_NAME = "socialcare-raw"
RAW_STREAM_BUFFER_MB = 64
RAW_STREAM_BUFFER_S = 300
# How many days after a delivery's received day its archived copy is looked for (replay/audit): ingest
# archives a delivery on its first attempt, within the inbound queue's retention (4 days).
RAW_ARCHIVE_SEARCH_DAYS = 5

# Secrets Manager: the platform credentials (one JSON secret; format in README).
PLATFORM_SECRET_NAME = "socialcare/platforms"

# Webhook limits. API Gateway accepts 10 MB; WhatsApp documents payloads up to 3 MB,
# so anything above 4 MiB is not a platform delivery and is refused with 413.
MAX_WEBHOOK_BODY_BYTES = 4 * 1024 * 1024
# The largest envelope (raw body and parsed events) that travels in the SQS message (SQS allows
# 256 KiB with its attributes); a bigger delivery's raw body goes to S3 and the envelope points at it
# (and carries no events either if they alone are still too big).
MAX_INLINE_DELIVERY_BYTES = 250 * 1024

# Platforms served under /webhooks/{platform}.
WEBHOOK_PLATFORMS = ("meta", "x", "telegram")

# Function folder names under functions/ (the CDK app and local stack enumerate these).
WEBHOOK_FUNCTION = "webhook"
INGEST_FUNCTION = "ingest"
OUTBOUND_FUNCTION = "outbound"

# Environment variables the functions read (in their handler modules, never in the core).
ENV_TABLE_NAME = "TABLE_NAME"
ENV_INBOUND_QUEUE_URL = "INBOUND_QUEUE_URL"
ENV_RAW_BUCKET = "RAW_BUCKET"
# JSON object: platform -> its raw archive's Firehose delivery stream name (ingest; required).
ENV_RAW_STREAMS = "RAW_STREAMS"
ENV_PLATFORM_SECRET_ARN = "PLATFORM_SECRET_ARN"
ENV_DEFAULT_TEAM = "DEFAULT_TEAM"
ENV_REOPEN_WINDOW_HOURS = "REOPEN_WINDOW_HOURS"
ENV_OUTBOUND_QUEUE_URL = "OUTBOUND_QUEUE_URL"
# Base URLs of the platforms' reply APIs (the real ones by default; the local stack points
# them at the platform sandbox).
ENV_META_GRAPH_URL = "META_GRAPH_URL"
ENV_X_API_URL = "X_API_URL"
ENV_TELEGRAM_API_URL = "TELEGRAM_API_URL"
# Optional tuning of the outbound function (defaults above).
ENV_OUTBOUND_MAX_RECEIVE_COUNT = "OUTBOUND_MAX_RECEIVE_COUNT"
ENV_OUTBOUND_RETRY_BASE_S = "OUTBOUND_RETRY_BASE_S"
ENV_OUTBOUND_RETRY_MAX_S = "OUTBOUND_RETRY_MAX_S"
ENV_OUTBOUND_HTTP_TIMEOUT_S = "OUTBOUND_HTTP_TIMEOUT_S"
ENV_OUTBOUND_CLAIM_LEASE_S = "OUTBOUND_CLAIM_LEASE_S"
META_GRAPH_URL = "https://graph.facebook.com/v21.0"
X_API_URL = "https://api.x.com"
TELEGRAM_API_URL = "https://api.telegram.org"

# The agent API (Chalice) function's name under chalice_config/.
AGENT_API_APP_NAME = "socialcare-api"
# Its Cognito user pool authorizer (the name is the securityDefinitions key in the packaged
# API definition, where the CDK app sets the pool's ARN), the groups that are its roles and the
# custom attribute that lists an agent's teams ("care,billing").
AGENT_API_AUTHORIZER_NAME = "AgentsUserPool"
ENV_COGNITO_USER_POOL_ARN = "COGNITO_USER_POOL_ARN"
GROUP_AGENTS = "agents"
GROUP_LEADS = "leads"
GROUP_ADMINS = "admins"
TEAMS_CLAIM = "custom:teams"
# The API's own secret (Secrets Manager, JSON {"cursor_key": "..."}): signs pagination cursors.
API_SECRET_NAME = "socialcare/api"
ENV_API_SECRET_ARN = "API_SECRET_ARN"
# Idempotency keys of replies and notes are remembered this long.
IDEMPOTENCY_TTL_HOURS = 24
# Largest request body the agent API accepts (a reply is at most 10,000 characters).
MAX_API_BODY_BYTES = 64 * 1024

DEFAULT_TEAM = "care"
DEFAULT_REOPEN_WINDOW_HOURS = 72

# --- Deployment (the CDK app; the local stack may use them too) ---------------------------------
# Raw deliveries are written under this key prefix (webhook/service.py raw_key_for); the webhook's
# role may write only there.
RAW_KEY_PREFIX = "raw/"
# How long Lambda's SQS event source may gather records before invoking (0 = at once): ingest
# trades a second of latency for fuller batches; replies go out at once.
INGEST_MAX_BATCHING_WINDOW_S = 1
OUTBOUND_MAX_BATCHING_WINDOW_S = 0
# Function timeouts. A queue's visibility timeout must be at least six times its consumer's
# timeout (AWS guidance for SQS event sources), so a slow batch is not redelivered mid-run.
WEBHOOK_TIMEOUT_S = 10
INGEST_TIMEOUT_S = 30
OUTBOUND_TIMEOUT_S = 20
AGENT_API_TIMEOUT_S = 15
# Cognito: the groups that are roles in the agent API, and the custom attribute (claim
# ``custom:teams``, comma-separated team names) that says which teams' cases an agent works.
AGENT_GROUPS = (GROUP_AGENTS, GROUP_LEADS, GROUP_ADMINS)  # the agent API reads these (agents/identity.py)
TEAMS_ATTRIBUTE = "teams"
# CloudWatch namespace of the metrics the functions publish (Powertools Metrics).
METRICS_NAMESPACE = "socialcare"
ENV_ACCOUNT_TEAMS = "ACCOUNT_TEAMS"  # JSON object: brand account id -> team (ingest)
# JSON object: platform -> the brand's own account ids (ingest; required). Meta: Page ids, Instagram
# account ids and WhatsApp phone_number_ids; x: user ids; telegram: bot ids. Events of any other
# account are kept raw and never become cases.
ENV_BRAND_ACCOUNTS = "BRAND_ACCOUNTS"
# An edit, status, deletion or reaction that overtakes its message waits for it: its delivery is
# tried again (SQS visibility, INGEST_TARGET_RETRY_DELAY_S times the attempt) up to this many
# attempts in all, then kept raw. Fewer than INBOUND_MAX_RECEIVE_COUNT, so it never reaches the DLQ.
INGEST_TARGET_ATTEMPTS = 3
INGEST_TARGET_RETRY_DELAY_S = 10

# The case clock (infra/state_machines/case_clock.asl.json), the follow-up (follow_up.asl.json) and
# what starts them.
CLOCK_FUNCTION = "clock"  # functions/clock: the table's stream -> StartExecution
ENV_CASE_CLOCK_ARN = "CASE_CLOCK_ARN"  # the case-clock state machine (clock function)
ENV_FOLLOW_UP_ARN = "FOLLOW_UP_ARN"  # the follow-up state machine (clock function)
# Optional JSON {"minutes": {channel: n}, "seconds": {channel: n}, "follow_up_seconds": {...}}: response
# targets (and follow-up times) other than the defaults (rules/sla.py), read by ingest and the agent
# API. Only the local stack sets it ([sla]).
ENV_RESPONSE_TARGETS = "RESPONSE_TARGETS"
# The clock function's event source mapping filter (the local stack's stream poller applies it too):
# case items inserted or modified; a removed case needs no clock.
CLOCK_STREAM_FILTER = {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"Keys": {"SK": {"S": ["CASE"]}}}}
# ...and customers' messages as they are stored (thread entries inserted, kind inbound): the day facts
# of the reports' marketing summary (channel, language, sentiment).
MESSAGE_STREAM_FILTER = {
    "eventName": ["INSERT"],
    "dynamodb": {"Keys": {"SK": {"S": [{"prefix": "MSG#"}]}}, "NewImage": {"kind": {"S": ["inbound"]}}},
}
CLOCK_STREAM_FILTERS = (CLOCK_STREAM_FILTER, MESSAGE_STREAM_FILTER)  # a record passing either is delivered
# Optional JSON: the brand's routing rules (rules/routing_rules.py; ingest, validated at cold start).
# Unset or empty: none, every new case takes rules/routing.py's route.
ENV_ROUTING_RULES = "ROUTING_RULES"
# The project's event bus (ingest puts "Sensitive case" events on it for the leads). Unset: no
# notification is sent (a function built without a bus, in tests).
ENV_EVENT_BUS_NAME = "EVENT_BUS_NAME"
CLOCK_BATCH_SIZE = 25
CLOCK_TIMEOUT_S = 30
CLOCK_MAX_RETRY_ATTEMPTS = 5
# The lazy start (timers/sweep.py): a case clock is started only when its first tier is near, at
# CLOCK_START_LEAD_MS before it (the execution then sleeps in its Wait state), so a case answered
# before that costs no state transition. The clock function starts it at once when that start time
# is within CLOCK_START_MARGIN_MS (two sweep periods: a sweep that runs late, an index that lags);
# otherwise the sweep (functions/clock_sweep, every CLOCK_SWEEP_EVERY_MINUTES) reads each of the
# CLOCK_SHARDS partitions of the clock index since its watermark and starts what came due, at most
# CLOCK_SWEEP_LIMIT clocks per shard per run (the rest the next run). 16 shards: 5,000 new cases a
# second spread to ~312 index writes a second per key.
CLOCK_SWEEP_FUNCTION = "clock_sweep"
CLOCK_SWEEP_EVERY_MINUTES = 1
CLOCK_SWEEP_TIMEOUT_S = 50  # under its period: runs never overlap (they could: every start is idempotent)
CLOCK_START_LEAD_MS = 10 * 60_000
CLOCK_START_MARGIN_MS = 2 * CLOCK_SWEEP_EVERY_MINUTES * 60_000
CLOCK_SHARDS = 16
CLOCK_SWEEP_LIMIT = 100
# Surge detection (rules/surges.py): ingest counts messages per brand account and topic; the surge
# function (functions/surge) checks the counts on a schedule and puts "Surge detected" on the bus.
SURGE_FUNCTION = "surge"
SURGE_TIMEOUT_S = 60
SURGE_CHECK_EVERY_MINUTES = 5
# Optional JSON: the surge settings (rules/surges.py: keywords, min_count, factor, baseline_buckets),
# read by ingest (keyword topics) and the surge function (the rule); validated at cold start.
ENV_SURGE_SETTINGS = "SURGE_SETTINGS"
# The surge function's metrics (Powertools EMF, dimension service=surge): surges raised per check
# (the alarm's metric) and the counter items each check read.
SURGE_METRIC = "SurgesDetected"
SURGE_ITEMS_READ_METRIC = "SurgeCounterItemsRead"

# Department escalation (infra/state_machines/department_escalation.asl.json): the machine the agent
# API starts, and the agent API's address the outbound function's answer links point at.
DEPARTMENT_ESCALATION = "department_escalation"  # its ASL file's stem
ENV_DEPARTMENT_ESCALATION_ARN = "DEPARTMENT_ESCALATION_ARN"
ENV_ANSWER_LINK_BASE_URL = "ANSWER_LINK_BASE_URL"
# Optional (the local stack's demos and tests): seconds each round waits instead of the periodic-update target.
ENV_DEPARTMENT_UPDATE_SECONDS = "DEPARTMENT_UPDATE_SECONDS"

# The open-work publisher (functions/metrics), run on a schedule: the teams' queues to CloudWatch.
METRICS_FUNCTION = "metrics"
METRICS_SCHEDULE_MINUTES = 1
METRICS_TIMEOUT_S = 60

# The reports (socialcare/reports): the daily accountability report and marketing summary, made by
# functions/report on a schedule (or invoked for dates), stored in the reports bucket under
# REPORTS_KEY_PREFIX, served by the agent API to leads and admins.
REPORT_FUNCTION = "report"
REPORTS_BUCKET_LOGICAL_NAME = "socialcare-reports"
REPORTS_KEY_PREFIX = "reports/"
ENV_REPORTS_BUCKET = "REPORTS_BUCKET"
# The IANA zone whose midnights bound a report's days (default UTC); the schedule runs in it too.
ENV_REPORT_TIME_ZONE = "REPORT_TIME_ZONE"
DEFAULT_REPORT_TIME_ZONE = "UTC"
REPORT_TIMEOUT_S = 300
# 00:15 every day in the report's time zone: yesterday's reports, once the day is over.
REPORT_SCHEDULE = "cron(15 0 * * ? *)"
