"""OpsLab: the analytics engine behind the OpsLab workbench.

Pure Python, no Streamlit: every analysis can be used from a notebook.
"""

__version__ = "0.1.0"
