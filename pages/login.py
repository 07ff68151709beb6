"""Partner sign-in (and, once signed in, who you are and sign-out)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.checks import GeoInputError
from geo.partners import accounts, demo, roles
from geo.partners.errors import SignInError
from geo.safety import escape_markdown
from pages import auth

db = auth.database()
account = auth.signed_in()
notice = st.session_state.pop(auth.NOTICE, None)
if notice:
    st.info(notice)

if account is not None:
    st.title("My account")
    st.markdown(
        f"Signed in as **{escape_markdown(account.email)}** ({escape_markdown(account.role)}, "
        f"{escape_markdown(account.organisation)})."
    )
    for name in roles.pages_for_role(account.role):
        path, title, icon = auth.PAGE_FILES[name]
        st.page_link(path, label=title, icon=icon)
    if st.button("Sign out", key="sign_out"):
        auth.sign_out()
        st.rerun()
    st.stop()

st.title("Partner sign-in")
st.caption("For members of the Business Crime Partnership. The police.uk pages need no account.")
with st.form("sign_in"):
    email = st.text_input("Email", key="login_email")
    password = st.text_input("Password", type="password", key="login_password")
    submitted = st.form_submit_button("Sign in")
if submitted:
    try:
        auth.sign_in(accounts.authenticate(db, email, password))
    except (SignInError, GeoInputError) as error:
        st.error(escape_markdown(error))
    else:
        st.rerun()

if auth.run_or_stop(accounts.demo_in_use, db):
    st.subheader("Demo partnership")
    st.info(
        "This database holds the demo Torquay partnership: made-up accounts and SYNTHETIC "
        f"reports. Every demo account's password is `{demo.DEMO_PASSWORD}`."
    )
    st.dataframe(
        pd.DataFrame(demo.demo_accounts(), columns=["email", "role", "organisation"]),
        hide_index=True,
    )
