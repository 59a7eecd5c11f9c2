"""Weekly store trends: the page-one wording built from the scorecard (see ``narrative``)."""
