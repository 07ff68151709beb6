"""The subject gallery the scheme shares with members: reference, photo, exclusion status.

No narrative is shown. The page and its PDF carry a watermark with the viewer's
organisation and the date; funders have no gallery (the role check is geo's).
"""

from __future__ import annotations

import streamlit as st

from geo.partners import casefile, subjects
from geo.safety import escape_markdown
from pages import auth

account = auth.require_role("gallery")
db = auth.database()
st.title("Subject gallery")
mark = casefile.watermark(account)
st.warning(escape_markdown(mark))

entries = auth.run_or_stop(casefile.gallery, db, account)
if entries.empty:
    st.info("The scheme shares no subjects with members yet.")
    st.stop()
columns = st.columns(4)
for number, entry in enumerate(entries.itertuples()):
    with columns[number % 4]:
        st.markdown(f"**{escape_markdown(entry.reference)}**")
        for photo_id in entry.photo_ids[:1]:
            photo = auth.run_or_stop(subjects.photo_bytes, db, account, photo_id)
            st.image(photo, caption=mark, width=150)
        st.caption(escape_markdown(entry.exclusion_status))

if st.button("Prepare the gallery for printing (watermarked PDF)", key="gallery_prepare"):
    st.session_state["gallery_pdf"] = auth.run_or_stop(casefile.gallery_pdf, db, account)
if st.session_state.get("gallery_pdf"):
    st.download_button(
        "Download gallery (PDF)",
        st.session_state["gallery_pdf"],
        file_name="subject-gallery.pdf",
        mime="application/pdf",
        key="gallery_download",
    )
