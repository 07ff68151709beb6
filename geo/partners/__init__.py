"""Partnership hub: partners report incidents, hear about outcomes, on a real database.

The store API (used alike by the CLI, the pages and the tests):

- :mod:`geo.partners.db`: :class:`~geo.partners.db.Database` (SQLite in ``ASB_DATA_DIR``
  or ``DATABASE_URL``), transactions, migrations up and down;
- :mod:`geo.partners.accounts`: organisations, premises, users, sign-in with lockout,
  :func:`~geo.partners.accounts.session_expired`;
- :mod:`geo.partners.incidents`: report, bulk CSV import, updates, what each role may see,
  export, funders' aggregates;
- :mod:`geo.partners.outcomes`: outcomes, the good-news feed and its weekly digest;
- :mod:`geo.partners.subjects`: persistent offenders, links, photos, breach flags;
- :mod:`geo.partners.exclusions`: warning / exclusion / extension notices, the printable notice;
- :mod:`geo.partners.casefile`: the case file, the shared gallery, persistent offenders;
- :mod:`geo.partners.retention` and :mod:`geo.partners.sar`: deletion on schedule, access
  requests;
- :mod:`geo.partners.pack`: the monthly meeting pack (HTML, PDF; two editions);
- :mod:`geo.partners.repetition`: aoristic profile, repeat locations, Knox test;
- :mod:`geo.partners.roles`: which page each role may open;
- :mod:`geo.partners.demo` (and ``demo_casework``): the demo Torquay partnership;
- :mod:`geo.partners.cli`: ``python -m geo partners ...``.

Nothing here imports Streamlit.
"""
