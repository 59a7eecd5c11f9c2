"""Raw tables -> analysis tables, as Ibis expressions run by the source's engine."""
