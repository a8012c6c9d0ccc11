"""The Streamlit dashboard over an analyzed incident database (`analyzer dashboard`)."""
