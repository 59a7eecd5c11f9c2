"""One module per report, named after its params folder, each defining ``class Params(ReportParams)``."""
