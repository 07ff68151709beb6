"""Subjects: the case file of a persistent offender, notices, links, persistent offenders.

Coordinators and police only; every view is audited by geo. ``?subject=S-000123`` opens
one case file directly.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from geo.maps.base import use_local_assets
from geo.partners import casefile, config, exclusions, incidents, subjects
from geo.partners.models import LONDON
from geo.safety import escape_markdown
from pages import auth, mapview

WHOLE_SCHEME = "The whole scheme area"

account = auth.require_role("subjects")
db = auth.database()
st.title("Subjects")
st.caption(
    "Persistent offenders, by pseudonymous reference. No field records ethnicity, religion, "
    "sexuality or health. Every view is written to the audit log."
)

listing = auth.run_or_stop(casefile.subjects_table, db, account)
if listing["synthetic"].any():
    st.caption("Subjects marked synthetic are made-up demo people (SYNTHETIC).")
case_tab, new_tab, offenders_tab = st.tabs(["Case file", "New subject", "Persistent offenders"])

with new_tab, st.form("new_subject"):
    st.markdown("Give a name or alias, or leave both blank for an **ID sought** description.")
    name = st.text_input("Name", key="subject_name")
    alias = st.text_input("Alias", key="subject_alias")
    description = st.text_area("Description (appearance, clothing)", key="subject_description")
    modus = st.text_area("Modus operandi", key="subject_mo")
    shared = st.checkbox("Share in the members' gallery", value=True, key="subject_shared")
    if st.form_submit_button("Open subject"):
        created = auth.run_or_stop(
            subjects.create_subject,
            db,
            account,
            name=name,
            alias=alias,
            description=description,
            modus_operandi=modus,
            shared_in_gallery=shared,
        )
        st.query_params["subject"] = created
        st.rerun()

with offenders_tab:
    offenders = auth.run_or_stop(casefile.persistent_offenders, db, account)
    if offenders.table["incidents"].sum():
        st.metric(
            "Share of reports due to the top 10% of subjects",
            f"{offenders.top_share:.0%}",
            help=f"Reports linked to subjects in the last {offenders.days} days",
        )
    st.dataframe(offenders.table, hide_index=True)

with case_tab:
    if listing.empty:
        st.info("No subjects yet: open one on the New subject tab.")
        st.stop()
    references = listing["reference"].tolist()
    wanted = st.query_params.get("subject")
    labels = dict(zip(listing["reference"], listing["label"], strict=True))
    reference = st.selectbox(
        "Subject",
        references,
        index=references.index(wanted) if wanted in references else 0,
        format_func=lambda r: f"{r} · {labels[r]}",
        key="case_subject",
    )
    st.query_params["subject"] = reference
    case = auth.run_or_stop(casefile.case_file, db, account, reference)
    details = case.subject
    st.header(f"Case file {escape_markdown(reference)}")
    st.markdown(
        f"**{escape_markdown(details['kind'])}** · {escape_markdown(labels[reference])} · "
        f"status **{escape_markdown(details['status'])}**"
    )
    st.markdown(f"Description: {escape_markdown(details['description'])}")
    st.markdown(f"Modus operandi: {escape_markdown(details['modus_operandi'])}")
    st.markdown(f"Known associates: {escape_markdown(', '.join(details['associates']) or 'none')}")
    for photo_id in details["photo_ids"]:
        st.image(auth.run_or_stop(subjects.photo_bytes, db, account, photo_id), width=160)

    breaches = case.breaches
    columns = st.columns(4)
    columns[0].metric("Linked reports", len(case.timeline))
    columns[1].metric("Premises affected", len(case.premises))
    columns[2].metric("Total loss", f"£{case.total_loss:,.2f}")
    columns[3].metric("Breaches", breaches)
    if breaches:
        st.warning(f"{breaches} linked report(s) breach a live exclusion (see the timeline).")

    st.subheader("Timeline")
    st.dataframe(
        case.timeline.drop(columns=["longitude", "latitude"]),
        hide_index=True,
    )
    if len(case.timeline):
        st.subheader("Where: reports and the hotspots they fall in")
        mapview.show_map(
            lambda: use_local_assets(casefile.case_map(case)),
            view=None,  # personal data: never shared between sessions
            key="case_map",
            height=380,
        )
    st.subheader("Premises affected")
    st.dataframe(case.premises, hide_index=True)
    st.subheader("Outcomes so far")
    st.dataframe(case.outcomes, hide_index=True)
    st.subheader("Notices (expired ones stay listed as expired)")
    st.dataframe(case.notices, hide_index=True)
    if len(case.notices):
        notice_id = st.selectbox("Notice to print", case.notices["notice_id"], key="notice_id")
        if st.button("Prepare the printable notice", key="notice_prepare"):
            st.session_state["notice_pdf"] = (
                notice_id,
                auth.run_or_stop(exclusions.notice_pdf, db, account, int(notice_id)),
            )
        prepared = st.session_state.get("notice_pdf")
        if prepared and prepared[0] == notice_id:
            st.download_button(
                "Download notice (PDF)",
                prepared[1],
                file_name=f"notice-{notice_id}.pdf",
                mime="application/pdf",
                key="notice_download",
            )

    st.subheader("Link reports")
    visible = auth.run_or_stop(incidents.visible_incidents, db, account)
    unlinked = visible[~visible["reference"].isin(case.timeline["reference"])]
    report_labels = {
        row.reference: f"{row.reference} · {row.occurred_at:%d %b %Y %H:%M} · {row.category} · "
        f"{row.premises or 'street'}"
        for row in unlinked.itertuples()
    }
    with st.form("link_reports"):
        chosen = st.multiselect(
            "Reports", list(report_labels), format_func=report_labels.get, key="link_refs"
        )
        if st.form_submit_button("Link to this subject"):
            flagged = auth.run_or_stop(subjects.link_incidents, db, account, reference, chosen)
            st.session_state["link_result"] = (len(chosen), flagged)
            st.rerun()
    result = st.session_state.pop("link_result", None)
    if result:
        st.success(f"Linked {result[0]} report(s).")
        if result[1]:
            st.error("Breach of a live exclusion: " + escape_markdown(", ".join(result[1])))

    if account.role == config.COORDINATOR:
        st.subheader("Issue a notice")
        today = dt.datetime.now(LONDON).date()
        with st.form("issue_notice"):
            stage = st.selectbox("Stage", subjects.STAGES, key="notice_stage")
            covers = st.selectbox(
                "Covers",
                [WHOLE_SCHEME, *exclusions.scheme_premises(db)],
                key="notice_covers",
            )
            starts_on = st.date_input("Starts", value=today, key="notice_starts")
            expires_on = st.date_input(
                "Expires",
                value=exclusions.add_months(today, exclusions.DEFAULT_MONTHS),
                key="notice_expires",
            )
            note = st.text_area("Reason", key="notice_note")
            if st.form_submit_button("Issue notice"):
                auth.run_or_stop(
                    exclusions.issue_notice,
                    db,
                    account,
                    reference,
                    stage=stage,
                    premises=None if covers == WHOLE_SCHEME else covers,
                    starts_on=starts_on,
                    expires_on=expires_on,
                    note=note,
                )
                st.session_state["notice_issued"] = f"Issued a {stage} covering {covers}."
                st.rerun()
        issued = st.session_state.pop("notice_issued", None)
        if issued:
            st.success(escape_markdown(issued))

    st.subheader("Associates, photo and status")
    others = [r for r in references if r != reference]
    with st.form("associate"):
        other = st.selectbox("Known associate", others, key="associate_ref")
        if st.form_submit_button("Add associate") and other:
            auth.run_or_stop(subjects.add_associate, db, account, reference, other)
            st.rerun()
    photo = st.file_uploader("Add a photo (JPEG or PNG)", type=["jpg", "jpeg", "png"])
    if photo is not None and st.button("Store photo", key="photo_store"):
        auth.run_or_stop(subjects.add_photo, db, account, reference, photo.getvalue())
        st.rerun()
    status = st.selectbox(
        "Status",
        subjects.SUBJECT_STATUSES,
        index=subjects.SUBJECT_STATUSES.index(details["status"]),
        key="subject_status",
    )
    if status != details["status"]:
        auth.run_or_stop(subjects.set_status, db, account, reference, status)
        st.rerun()
