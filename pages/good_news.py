"""Good news: outcomes after your organisation's reports, with an unread count."""

from __future__ import annotations

import streamlit as st

from geo.partners import outcomes
from geo.safety import escape_markdown
from pages import auth

account = auth.require_role("good_news")
db = auth.database()
st.title("Good news")

feed = auth.run_or_stop(outcomes.good_news_feed, db, account)
st.metric("Unread", feed.unread)
if feed.items.empty:
    st.info("No outcomes yet. When the police or the coordinator record one, it appears here.")
    st.stop()
for item in feed.items.itertuples():
    marker = "**New:** " if not item.read else ""
    st.markdown(
        f"{marker}{escape_markdown(item.message)} · {item.decided_on:%d %b %Y}",
    )
if feed.unread and st.button("Mark all as read", key="good_news_mark_read"):
    auth.run_or_stop(outcomes.mark_read, db, account)
    st.rerun()
