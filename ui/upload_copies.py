"""Uploaded files are copied without copying their bytes.

Streamlit 1.67 returns a ``deepcopy`` of every widget's value on every script run, and the file
uploader's value is the uploaded files themselves (``io.BytesIO``). Copying a 1 GB upload is one
memory copy under the GIL on each run of the Data page, and while it lasts every other user's
page waits (issue 28's load test: 113 of the 544 GIL-holding samples of a 1 GB upload's six
seconds, py-spy at 200 Hz). An upload's bytes never change, so the copy shares them: it is a new
file object (its own read position, as ``deepcopy`` gives) over the same immutable ``bytes``
(``BytesIO`` copies on write, so writing to either copy still leaves the other untouched).
"""

from __future__ import annotations

from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec


def _copy_sharing_bytes(self: UploadedFile, memo: dict) -> UploadedFile:
    copy = type(self)(UploadedFileRec(self.file_id, self.name, self.type, self.getvalue()), self._file_urls)
    copy.seek(self.tell())
    memo[id(self)] = copy
    return copy


def install() -> None:
    """Make ``copy.deepcopy`` of an uploaded file share its bytes (idempotent)."""
    UploadedFile.__deepcopy__ = _copy_sharing_bytes
