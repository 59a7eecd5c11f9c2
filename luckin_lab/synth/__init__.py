"""The demo store synthesizer: raw tables that reproduce the catalog, with planted truth."""
