"""The monthly meeting pack: on screen, as HTML and as PDF (funders: the funder edition)."""

from __future__ import annotations

import streamlit as st

from geo.partners import config, pack
from geo.safety import escape_markdown
from pages import auth

account = auth.require_role("meeting_pack")
db = auth.database()
st.title("Monthly meeting pack")

latest = auth.run_or_stop(pack.latest_report_month, db)
month = st.text_input("Month (YYYY-MM)", value=latest, key="pack_month")
if account.role == config.FUNDER:
    wanted = pack.FUNDER_EDITION
    st.caption("Funders receive the funder edition: aggregates only.")
else:
    wanted = st.radio("Edition", pack.EDITIONS, horizontal=True, key="pack_edition")
edition = auth.run_or_stop(pack.edition_for, db, account, wanted)

if st.button("Build the pack", key="pack_build"):
    with st.spinner("Building the pack…"):
        built = auth.run_or_stop(
            pack.build_pack, db, month.strip(), edition, viewer_id=account.user_id
        )
        st.session_state["pack"] = (built, pack.pack_html(built), pack.pack_pdf(built))
stored = st.session_state.get("pack")
if not stored or stored[0].edition != edition:
    st.stop()
built, html, pdf = stored
if built.synthetic:
    st.warning("SYNTHETIC: the demo partnership's made-up data.")
left, right = st.columns(2)
left.download_button("Download HTML", html, file_name=f"pack-{built.month}.html", key="pack_html")
right.download_button(
    "Download PDF",
    pdf,
    file_name=f"pack-{built.month}.pdf",
    mime="application/pdf",
    key="pack_pdf",
)
for section in built.sections:
    st.header(escape_markdown(section.title))
    st.markdown(escape_markdown(section.text))
    if section.title.startswith("Hotspots") and built.map_png:
        st.image(built.map_png)
    for name, table in section.tables.items():
        st.markdown(f"**{escape_markdown(name)}**")
        st.dataframe(table, hide_index=True)
