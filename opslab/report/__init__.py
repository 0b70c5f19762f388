"""The monthly / quarterly operations report: figures (:mod:`.content`), problems and plan
(:mod:`.findings`), layout (:mod:`.document`), .docx (:mod:`.docx`) and HTML (:mod:`.html`)."""

from opslab.report.content import OpsReport, build_report, quarterly_report

__all__ = ["OpsReport", "build_report", "quarterly_report"]
