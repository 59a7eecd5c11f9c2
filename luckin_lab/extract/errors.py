"""What can go wrong when pulling from the company's MySQL, each with a message that says
where (source, database.table, column) and what to do about it."""

from __future__ import annotations


class ExtractError(RuntimeError):
    """Base of every extract failure; the CLI prints the message and exits with status 2."""


class SettingsError(ExtractError):
    """Connection settings are missing or unsafe (e.g. a password in a committed file)."""


class MappingError(ExtractError):
    """The source mapping file disagrees with itself or with the data contracts."""


class NotSelectError(ExtractError):
    """A statement other than a single read-only SELECT was about to be sent."""


class SourceUnreachable(ExtractError):
    """No server answered at the configured host and port."""


class SourceAuthError(ExtractError):
    """The server refused the user name or password, or the user lacks a privilege."""


class SourceSchemaError(ExtractError):
    """A mapped database, table (shard) or column does not exist in the source."""


class SourceTypeError(ExtractError):
    """A source column's type or value does not fit the contract type."""


class SourceTimeout(ExtractError):
    """A query ran longer than the per-query timeout."""


class SnapshotError(ExtractError):
    """The snapshot folder is in a state the extract cannot safely continue from."""


class ContractBreach(ExtractError):
    """Rows pulled from the source broke their data contract (message names the source shard)."""
