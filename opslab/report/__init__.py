"""The monthly / quarterly operations report: figures (:mod:`.content`), problems and plan
(:mod:`.findings`), layout (:mod:`.document`), .docx (:mod:`.docx`) and HTML (:mod:`.html`)."""

from opslab.report.content import ReportResult, build_report, quarterly_report
from opslab.core.results import old_names

__all__ = ["ReportResult", "build_report", "quarterly_report"]

#: The result's old name keeps working for one release, with a DeprecationWarning.
__getattr__ = old_names(globals(), {"OpsReport": "ReportResult"})
