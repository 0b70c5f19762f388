"""OpsLab as a hosted app: ``streamlit run serve.py`` (or ``uvicorn serve:app``).

The same app as ``streamlit run app.py``, wrapped in the HTTP guard of ``ui/server_auth.py``:
with a password or OIDC configured, no page, link, upload, download or websocket is served
before sign-in. Without access control it behaves exactly like app.py. See README, "Hosting".
"""

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from ui.server_auth import Guard, GuardMiddleware
from ui.upload_chunks import CoalescedUploadMiddleware

guard = Guard()
app = st.App(str(Path(__file__).with_name("app.py")), routes=guard.routes(),
             middleware=[Middleware(GuardMiddleware, guard=guard), Middleware(CoalescedUploadMiddleware)])
