"""The working contract with the DeepCall Directory API v2, kept in one place.

Every path, field name, wire shape and code that the client and the sandbox
agree on lives here, so that a probe of a live account can revise a decision
without touching any other module.
"""

from __future__ import annotations

from typing import Final

DEFAULT_BASE_URL: Final = "https://v4-api.deepcall.com"

# Action name -> path. Actions are sent exactly as the documentation spells
# them (irregular casing included); the sandbox also accepts a trailing slash.
PATHS: Final[dict[str, str]] = {
    "create": "/api/v2/Directory/create",
    "update": "/api/v2/Directory/update",
    "getInfo": "/api/v2/Directory/getInfo",
    "search": "/api/v2/Directory/search",
    "getFields": "/api/v2/Directory/getFields",
    "setDnc": "/api/v2/Directory/setDnc",
    "getDnc": "/api/v2/Directory/getDnc",
    "Blacklist": "/api/v2/Directory/Blacklist",
    "setSticky": "/api/v2/Directory/setSticky",
    "getSticky": "/api/v2/Directory/getSticky",
    "removeSticky": "/api/v2/Directory/removeSticky",
    "setAM": "/api/v2/Directory/setAM",
    "unsetAm": "/api/v2/Directory/unsetAm",
    "groupList": "/api/v2/Group/list",
    "groupAgentRelation": "/api/v2/Group/getGroupAgentRelation",
    "agentList": "/api/v2/Agent/list",
}

# Actions that change the directory; everything else only reads.
WRITE_ACTIONS: Final = frozenset(
    {
        "create",
        "update",
        "setDnc",
        "Blacklist",
        "setSticky",
        "removeSticky",
        "setAM",
        "unsetAm",
    }
)

# The read strategy: one getInfo call with field "all" returns the whole
# entry. "composed" reads getDnc + getSticky + search instead.
READ_STRATEGY: Final = "getInfo"

STATUS_SUCCESS: Final = "success"
STATUS_ERROR: Final = "error"
SUCCESS_CODE: Final = 200
PAYLOAD_KEY: Final = "data"
# The Group and Agent reference endpoints answer under "response" instead.
REFERENCE_PAYLOAD_KEY: Final = "response"

# DNC encoding on the wire.
DNC_NONE: Final = 0
DNC_PERMANENT: Final = -1
# Sticky expiry encoding on the wire: -1 is "never".
STICKY_NEVER: Final = -1

STICKY_TYPES: Final = ("all", "cli", "cli_group")

# Contact fields of `contactinfo`, in their documented order.
CONTACT_FIELDS: Final = (
    "name",
    "email",
    "dob",
    "address",
    "company",
    "designation",
    "custom_field_1",
    "custom_field_2",
)

# Number wire form: "digits" is country code + national number, no "+"
# (919876543210); "e164" sends "+919876543210".
WIRE_NUMBER_FORMAT: Final = "digits"
DEFAULT_REGION: Final = "IN"


class Code:
    """Application codes of the error envelope (not HTTP statuses)."""

    INVALID_PARAMETER = 1000
    INVALID_DATE = 1001
    INVALID_CONTACT = 1005
    SERVER_ERROR = 1009
    DB_CONNECT = 1010
    NO_DATA = 1012
    INVALID_TOKEN = 1014
    PERMISSION_DENIED = 1015
    INVALID_REQUEST = 1047
    STICKY_ERROR = 1501
    STICKY_TYPE_INVALID = 1502
    ACCOUNT_MANAGER_ERROR = 1503
    CREATE_FAILED = 1504
    CLI_UNKNOWN = 1505
    GROUP_UNKNOWN = 1506
    AGENT_NOT_IN_GROUP = 1507
    EXPIRY_TOO_SMALL = 1508
    EXPIRY_NOT_INTEGER = 1509
    DNC_ERROR = 1510


MESSAGES: Final[dict[int, str]] = {
    Code.INVALID_PARAMETER: "Invalid parameter",
    Code.INVALID_DATE: "Please provide valid date",
    Code.INVALID_CONTACT: "Invalid contact number",
    Code.SERVER_ERROR: "Something went wrong",
    Code.DB_CONNECT: "Error in DB connect",
    Code.NO_DATA: "No data found",
    Code.INVALID_TOKEN: "Invalid token",
    Code.PERMISSION_DENIED: "Permission denied",
    Code.INVALID_REQUEST: "Invalid request data",
    Code.STICKY_ERROR: "Sticky agent error",
    Code.STICKY_TYPE_INVALID: "Type is not valid",
    Code.ACCOUNT_MANAGER_ERROR: "Account manager error",
    Code.CREATE_FAILED: "Failed to create directory",
    Code.CLI_UNKNOWN: "CLI does not exist",
    Code.GROUP_UNKNOWN: "Group ID does not exist",
    Code.AGENT_NOT_IN_GROUP: "Agent does not exist in the given group ID",
    Code.EXPIRY_TOO_SMALL: "Expiry must be greater than or equal to -1",
    Code.EXPIRY_NOT_INTEGER: "Expiry must be integer value",
    Code.DNC_ERROR: "DNC error",
}

# Codes worth retrying: the server's own transient failures.
TRANSIENT_CODES: Final = frozenset({Code.SERVER_ERROR, Code.DB_CONNECT})

# Removing something already absent is a success; 1012 from these actions
# means "nothing to remove".
ABSENT_OK_ACTIONS: Final = frozenset({"removeSticky", "unsetAm"})

# Credentials the sandbox accepts when none are configured, and that the
# client uses against the embedded sandbox. Never valid anywhere else.
SANDBOX_USER_ID: Final = "sandbox"
SANDBOX_TOKEN: Final = "sandbox-token"
SANDBOX_SSID: Final = "sandbox-ssid"

ENV_BASE_URL: Final = "DEEPCALL_BASE_URL"
ENV_USER_ID: Final = "DEEPCALL_USER_ID"
ENV_TOKEN: Final = "DEEPCALL_TOKEN"
ENV_SSID: Final = "DEEPCALL_SSID"
