"""Shared sidebar and cached calls into ``geo`` for every page.

Not a page itself (``dashboard.py`` registers pages explicitly). Caches are keyed on
plain values (dataset key, month strings, category tuples, upload bytes), never on
GeoDataFrames, which Streamlit cannot hash.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import altair as alt
import geopandas as gpd
import pandas as pd
import streamlit as st

from geo import caveats, formatting, safety, schema, timeseries
from geo.checks import GeoInputError, fail
from geo.hotspots import dbscan as hotspots
from geo.hotspots import naming, national
from geo.hotspots.peaktimes import WEEKDAYS
from geo.io import areas, datasets, query, store
from geo.io.incidents import IngestResult, SourceFile, ZipLimits, ingest_groups, zip_sources
from geo.maps import layers as map_layers
from geo.partners import analysis, config
from geo.partners.accounts import Account
from geo.partners.db import Database
from geo.projection import metric_xy
from geo.safety import escape_markdown
from geo.schema import REJECTED_COLUMNS
from geo.staticmap import StaticBase

UPLOAD = "upload"
PARTNERS = analysis.KEY
DEFAULT_AREA = next(iter(datasets.DATASETS))

#: The Force selector's choice for a national store's national view.
ALL_FORCES = "All forces"

#: The Area-within-the-force selector's choice for all of the chosen force.
WHOLE_FORCE = "Whole force"


def dataset_labels(partner_label: str | None = None) -> dict[str, str]:
    """Area choices, key to label: embedded areas, national stores, the partner reports
    (when ``partner_label`` is given: a signed-in role that may see them), then an upload.

    National stores are looked up on every call (a folder listing), so one added to
    ``ASB_DATA_DIR/stores/`` appears without a restart.
    """
    embedded = {key: d.label for key, d in datasets.DATASETS.items()}
    stores = {key: d.label for key, d in datasets.national_stores().items()}
    partners = {} if partner_label is None else {PARTNERS: partner_label}
    return embedded | stores | partners | {UPLOAD: "Upload a file"}


def is_national(dataset: str) -> bool:
    """Whether ``dataset`` is a national (partitioned) store, read by queries only."""
    return dataset not in (UPLOAD, PARTNERS) and dataset not in datasets.DATASETS


@dataclass(frozen=True)
class PartnerAccess:
    """Who reads the partner reports, as plain values that key the caches.

    ``account`` is the signed-in user as the database holds them now, and ``version``
    changes with every saved report, update or outcome
    (:func:`geo.partners.analysis.data_version`), so a cache never serves one user's
    reports to another, nor stale ones.
    """

    database_url: str
    account: Account
    version: int


@dataclass(frozen=True)
class Selection:
    """What the sidebar selected: plain values, usable as cache keys."""

    dataset: str
    label: str
    first_month: str
    last_month: str
    categories: tuple[str, ...]  # empty means every category
    all_categories: tuple[str, ...]
    upload_name: str | None = None
    upload_bytes: bytes | None = None
    partner: PartnerAccess | None = None  # set for the partner reports only
    force: str | None = None  # a national store's chosen force; None: all forces
    area: str | None = None  # a named area of the store within the force; None: all of it

    @property
    def months(self) -> tuple[str, str]:
        """``(first, last)`` month strings."""
        return self.first_month, self.last_month


# ---------------------------------------------------------------- cached data access


#: Largest upload accepted, MB. Keep equal to ``server.maxUploadSize`` in
#: .streamlit/config.toml; sized so one session's ingest stays well inside the server's
#: memory (see bench/README.md, "Hostile inputs").
UPLOAD_MAX_MB = 50

#: Bounds on an uploaded zip: a police.uk area download of a few years unpacks to well
#: under this; more would not fit in one session's memory next to others' sessions.
UPLOAD_ZIP_LIMITS = ZipLimits(member_bytes=200 * 2**20, total_bytes=200 * 2**20)

_ZIP_MAGIC = b"PK\x03\x04"


def check_upload(name: str, size: int) -> str:
    """The upload's kind ("csv" or "zip"), or fail before its bytes are read.

    ``name`` is only inspected for its extension and never used as a path; ``size`` is
    in bytes.
    """
    kind = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if kind not in {"csv", "zip"}:
        fail("only .csv and .zip files can be uploaded", file=display_name(name))
    if size > UPLOAD_MAX_MB * 2**20:
        fail(
            f"the file is {size / 2**20:,.0f} MB, more than the {UPLOAD_MAX_MB} MB allowed",
            fix="Upload one force's months at a time",
            file=display_name(name),
        )
    return kind


def display_name(name: str) -> str:
    """The last part of a client-sent file name, for messages and titles (never a path)."""
    return name.replace("\\", "/").rsplit("/", 1)[-1] or "upload"


def safe_file_name(name: str, default: str) -> str:
    """A plain file name made from a client-sent name: letters, digits, ``._ -`` only.

    For the rare reader that needs a file on disk (GPX): the result has no folder part
    and cannot start with a dot, so it names a new file inside the caller's own
    temporary folder. ``default`` is used when nothing usable is left.
    """
    cleaned = re.sub(r"[^A-Za-z0-9._ -]", "_", display_name(name)).lstrip(". ")
    return cleaned[:120] or default


@st.cache_data(show_spinner="Reading the uploaded file…", max_entries=4)
def ingest_upload(name: str, data: bytes) -> IngestResult:
    """Ingest an uploaded police.uk CSV or zip with the same validation as the CLI.

    The bytes are read in memory: nothing is written to disk, so the client's file name
    can never choose a path.
    """
    shown = display_name(name)
    if check_upload(name, len(data)) == "zip":
        if not data.startswith(_ZIP_MAGIC):
            fail("is not a zip archive", fix="Upload the .zip police.uk sent", file=shown)
        sources = zip_sources(data, name=shown, limits=UPLOAD_ZIP_LIMITS)
    else:
        sources = [SourceFile(shown, lambda: data)]
    return ingest_groups([(sources, None)])


# cache_resource, not cache_data: one shared frame instead of an unpickled copy on every
# call (0.05 s for Torbay, more for bigger areas). Callers must never modify it.
@st.cache_resource(show_spinner="Loading incidents…", max_entries=8)
def dataset_incidents(dataset: str) -> gpd.GeoDataFrame:
    """Every row of an embedded dataset (read-only)."""
    return store.read_incidents(datasets.get_dataset(dataset).incidents_path)


# Filtering is cheap alone but ran on every run of every session; the embedded areas are
# small (at most a few hundred thousand rows), so a few filtered copies are shared too.
@st.cache_resource(max_entries=8)
def _filtered_incidents(
    dataset: str, months: tuple[str, str] | None, categories: tuple[str, ...] | None
) -> gpd.GeoDataFrame:
    return store.filter_incidents(dataset_incidents(dataset), months, categories)


# A national store is never loaded whole: only the rows of the force (or of one area
# within it) being looked at, read with partition pruning. Few entries, since each may
# hold a force's year.
@st.cache_resource(show_spinner="Loading the force's incidents…", max_entries=2)
def force_incidents(
    dataset: str,
    force: str,
    area: str | None,
    months: tuple[str, str] | None,
    categories: tuple[str, ...] | None,
) -> gpd.GeoDataFrame:
    """One force's rows of a national store for months (``(first, last)``, None for
    all) and categories, in one of the store's named areas when ``area`` is given
    (read-only)."""
    return store.read_incidents(
        datasets.store_path(dataset),
        months=months,
        categories=list(categories) if categories else None,
        forces=[force],
        within=None if area is None else area_polygon(dataset, area),
    )


@st.cache_data(max_entries=16)
def area_polygon(dataset: str, area: str):
    """The polygon of a national store's named area (EPSG:4326; shapely)."""
    return areas.area_polygon(datasets.store_path(dataset), area)


@st.cache_resource
def hub_database(url: str) -> Database:
    """The partnership hub's database at ``url`` (one engine per URL for all sessions)."""
    return Database(url)


@st.cache_data(show_spinner="Loading partner reports…", max_entries=32)
def partner_incidents(access: PartnerAccess) -> gpd.GeoDataFrame:
    """The partner reports ``access.account`` may analyse (all months and categories).

    :func:`geo.partners.analysis.analysis_frame` decides what the role sees: the own
    organisation's reports, all of them, or the funders' aggregated frame.
    """
    return analysis.analysis_frame(hub_database(access.database_url), access.account)


def incidents(selection: Selection, *, all_months: bool = False) -> gpd.GeoDataFrame:
    """Incidents for the selection (months and categories applied)."""
    months = None if all_months else selection.months
    categories = selection.categories or None
    if selection.dataset in (UPLOAD, PARTNERS):
        return store.filter_incidents(every_incident(selection), months, categories)
    if is_national(selection.dataset):
        return force_incidents(
            selection.dataset, _force(selection), selection.area, months, categories
        )
    if months is None and categories is None:
        return dataset_incidents(selection.dataset)
    return _filtered_incidents(selection.dataset, months, categories)


def every_incident(selection: Selection) -> gpd.GeoDataFrame:
    """Every incident of the selected area (a national store: of the chosen force), all
    months and categories (read-only)."""
    if selection.dataset == UPLOAD:
        return ingest_upload(selection.upload_name, selection.upload_bytes).incidents
    if selection.dataset == PARTNERS:
        return partner_incidents(selection.partner)
    if is_national(selection.dataset):
        return force_incidents(selection.dataset, _force(selection), selection.area, None, None)
    return dataset_incidents(selection.dataset)


def _force(selection: Selection) -> str:
    if selection.force is None:
        fail("this view needs one force", fix="Choose a force in the sidebar")
    return selection.force


def data_quality(selection: Selection) -> tuple[dict, pd.DataFrame]:
    """Ingest summary (dict) and rejected rows for the selected dataset."""
    if selection.dataset == UPLOAD:
        result = ingest_upload(selection.upload_name, selection.upload_bytes)
        return result.summary.to_dict(), result.rejected
    if selection.dataset == PARTNERS:  # validated when saved: nothing was rejected
        summary = analysis.summary(every_incident(selection))
        return summary, pd.DataFrame(columns=list(REJECTED_COLUMNS))
    if is_national(selection.dataset):
        return national_summary(selection.dataset), pd.DataFrame(columns=list(REJECTED_COLUMNS))
    return datasets.load_summary(selection.dataset), _rejected(selection.dataset)


def is_synthetic(selection: Selection) -> bool:
    """True when the selection holds made-up demo partner reports."""
    return selection.dataset == PARTNERS and analysis.is_synthetic(every_incident(selection))


def row_level_allowed(selection: Selection) -> bool:
    """False for funders on partner reports: no table or download of single incidents."""
    partner = selection.partner
    return partner is None or partner.account.role != config.FUNDER


def data_caveats(selection: Selection) -> list[str]:
    """What to say beside the selection's results about its incidents, the most important
    first: for police.uk data how locations are anonymised; for partner reports what
    they count (and, to funders, how they are aggregated)."""
    if selection.dataset != PARTNERS:
        return [caveats.LOCATION_ANONYMISATION, caveats.MONTH_ONLY, caveats.ASB_IS_NOT_CRIME]
    notes = [caveats.PARTNER_REPORTS]
    if not row_level_allowed(selection):
        notes.append(analysis.FUNDER_NOTE)
    return notes


@st.cache_data(max_entries=8)
def national_summary(dataset: str) -> dict:
    """Coverage of a national store from its manifest (:func:`geo.io.datasets.national_summary`)."""
    return datasets.national_summary(dataset)


@st.cache_data(max_entries=8)
def _rejected(dataset: str) -> pd.DataFrame:
    return datasets.load_rejected(dataset)


def missing_months(selection: Selection) -> list[str]:
    """Months without data in the selected dataset (``YYYY-MM``, sorted).

    Each force's gaps from the ingest summary, and the months no force has (e.g. between
    two forces' extracts), so that neither is ever counted as zero.
    """
    summary, _ = data_quality(selection)
    return timeseries.months_without_data(summary)


def monthly(selection: Selection, by: str | None = None) -> pd.DataFrame:
    """Monthly counts over the dataset's whole span, NaN in months without data.

    A national store's come from a query over the store (its manifest), never rows.
    """
    summary, _ = data_quality(selection)
    if is_national(selection.dataset) and by is None:
        return timeseries.monthly_from_counts(
            store_monthly_counts(
                selection.dataset, selection.force, selection.area, selection.categories
            ),
            summary["first_month"],
            summary["last_month"],
            missing_months(selection),
        )
    frame = incidents(selection, all_months=True)
    return timeseries.monthly_counts(
        frame, summary["first_month"], summary["last_month"], missing_months(selection), by=by
    )


def monthly_in_view(selection: Selection) -> pd.DataFrame:
    """:func:`monthly` for the selection's months only (what the trend chart draws)."""
    return timeseries.between_months(
        monthly(selection), selection.first_month, selection.last_month
    )


@st.cache_data(max_entries=64)
def store_monthly_counts(
    dataset: str, force: str | None, area: str | None, categories: tuple[str, ...]
) -> pd.DataFrame:
    """Incidents per month of a store (one force, or all when None; within one of its
    named areas when ``area`` is given; every category when ``categories`` is empty):
    :func:`geo.io.query.monthly_counts`."""
    selection = query.Selection.of(
        None if force is None else [force],
        None,
        categories or None,
        within=None if area is None else area_polygon(dataset, area),
    )
    return query.monthly_counts(datasets.store_path(dataset), selection)


def stop_on_input_error(call, *args, **kwargs):
    """Run a geo call; show its one-line message and stop the page on unusable input."""
    try:
        return call(*args, **kwargs)
    except GeoInputError as error:
        st.error(escape_markdown(error))
        st.stop()


@st.cache_data(show_spinner="Finding hotspots…", max_entries=64)
def _hotspots(
    selection: Selection, eps_m: float, min_samples: int, auto: bool
) -> hotspots.HotspotResult:
    return hotspots.find_hotspots(
        incidents(selection),
        eps_m=eps_m,
        min_samples=min_samples,
        auto=auto,
        study_area=outline(selection),
        gazetteer=gazetteer(),
    )


def find_hotspots(
    selection: Selection, eps_m: float, min_samples: int, auto: bool = False
) -> hotspots.HotspotResult:
    """Cached :func:`geo.hotspots.find_hotspots`; on unusable input, the message and a stop."""
    return stop_on_input_error(_hotspots, selection, float(eps_m), int(min_samples), bool(auto))


def covered_area_ha(result: hotspots.HotspotResult) -> float:
    """Hectares the hotspots cover together, computed once for all sessions."""
    return _covered_area_ha(result.hotspots)


def _polygons_key(frame: gpd.GeoDataFrame) -> bytes:
    # GeoDataFrames are not hashable by Streamlit; the polygons' WKB identifies them.
    return b"".join(frame.geometry.to_wkb().to_numpy())


@st.cache_data(max_entries=64, hash_funcs={gpd.GeoDataFrame: _polygons_key})
def _covered_area_ha(polygons: gpd.GeoDataFrame) -> float:
    return hotspots.covered_area_ha(polygons)


def default_hotspots(selection: Selection) -> tuple[hotspots.HotspotResult | None, str]:
    """Hotspots at the area's default settings, or None and the reason, without stopping."""
    defaults = area_defaults(selection)
    try:
        result = _hotspots(selection, defaults.eps_m, defaults.min_samples, False)
    except GeoInputError as error:
        return None, str(error)
    return result, ""


#: What the DBSCAN settings mean, said the same way on every page that has them.
EPS_HELP = (
    "Incidents closer than this join one hotspot. police.uk snap points are about one "
    "street segment apart, so below ~50 m DBSCAN mostly re-finds single snap points."
)
MIN_SAMPLES_HELP = "Incidents within eps (counting the point itself) needed to start a hotspot."


def hotspot_settings(
    eps_slot,
    min_samples_slot,
    defaults: datasets.AreaDefaults,
    *,
    key_prefix: str = "",
    min_samples_help: str = MIN_SAMPLES_HELP,
    in_link: bool = False,
) -> tuple[int, int]:
    """DBSCAN's eps (metres) and minimum incidents, the one pair of controls of every
    page that finds hotspots, starting at the area's ``defaults``.

    Widgets are keyed ``<key_prefix>eps`` and ``<key_prefix>min_samples`` (pages with
    the same prefix share the settings); ``in_link`` keeps them in the page's address.
    """
    bind = "query-params" if in_link else None
    eps_m = eps_slot.slider(
        "Neighbourhood radius, eps (metres)",
        min_value=25,
        max_value=500,
        value=int(defaults.eps_m),
        step=5,
        key=f"{key_prefix}eps",
        bind=bind,
        help=EPS_HELP,
    )
    min_samples = min_samples_slot.number_input(
        "Minimum incidents",
        min_value=1,
        max_value=1000,
        value=int(defaults.min_samples),
        key=f"{key_prefix}min_samples",
        bind=bind,
        help=min_samples_help,
    )
    return int(eps_m), int(min_samples)


def area_defaults(selection: Selection) -> datasets.AreaDefaults:
    """The settings the selected area opens with (an upload's are worked out from it)."""
    if selection.dataset == UPLOAD:
        return _upload_defaults(selection.upload_name, selection.upload_bytes)
    if selection.dataset == PARTNERS:
        summary, _ = data_quality(selection)
        return datasets.with_funding_date(
            analysis.DATASET.defaults, summary["first_month"], summary["last_month"]
        )
    if is_national(selection.dataset):
        return _national_defaults(selection.dataset)
    return datasets.get_dataset(selection.dataset).defaults


@st.cache_data(max_entries=8)
def _national_defaults(dataset: str) -> datasets.AreaDefaults:
    return national.national_defaults(dataset)


# cache_resource: one shared overview (callers must not modify it) instead of pickling
# its tens of thousands of polygons on the first load and unpickling them on every rerun.
@st.cache_resource(show_spinner="Finding every force's hotspots…", max_entries=16)
def national_overview(
    dataset: str, first_month: str, last_month: str, categories: tuple[str, ...]
) -> national.NationalOverview:
    """Cached :func:`geo.hotspots.national.national_overview` at the store's defaults,
    kept in the store folder so that a new server process reads it instead of clustering."""
    defaults = _national_defaults(dataset)
    return national.national_overview(
        datasets.store_path(dataset),
        months=(first_month, last_month),
        categories=categories or None,
        eps_m=defaults.eps_m,
        min_samples=defaults.min_samples,
        keep=True,
    )


@st.cache_data(max_entries=4)
def _upload_defaults(name: str, data: bytes) -> datasets.AreaDefaults:
    result = ingest_upload(name, data)
    summary = result.summary
    return hotspots.suggest_defaults(result.incidents, summary.first_month, summary.last_month)


#: Session-state keys of the pages' settings whose defaults depend on the area: they go
#: back to the new area's defaults when the user picks another area.
AREA_SETTINGS = (
    "force",
    "force_area",
    "categories",
    "eps",
    "min_samples",
    "auto",
    "impact_funding",
    "impact_treated",
    "impact_eps",
    "impact_min_samples",
    "planner_eps",
    "planner_min_samples",
    "cov_eps",
    "cov_min_samples",
)


_AREA_NOTICE = "_area_notice"
_AREA_CHANGED = "_area_changed"


def _reset_area_settings() -> None:
    # Widgets bound to the URL would take their old value back from it, so drop it there too.
    for key in (*AREA_SETTINGS, _AREA_NOTICE):
        st.session_state.pop(key, None)
        st.query_params.pop(key, None)
    st.session_state[_AREA_CHANGED] = True


@st.cache_data(max_entries=1)
def gazetteer() -> pd.DataFrame:
    """The embedded gazetteer of named places."""
    return naming.load_gazetteer()


def _described(dataset: str) -> str | datasets.Dataset:
    """An embedded dataset's key, or the partner reports' description."""
    return analysis.DATASET if dataset == PARTNERS else dataset


@st.cache_data(max_entries=8)
def study_area(dataset: str) -> gpd.GeoDataFrame | None:
    """Study-area outline of a dataset (None: PAI uses the incidents' hull); for partner
    reports, the partnership area."""
    if dataset == UPLOAD or is_national(dataset):
        return None
    return datasets.load_study_area(_described(dataset))


def outline(selection: Selection) -> gpd.GeoDataFrame | None:
    """The outline PAI and grids are measured in: the chosen named area of a national
    store, else the dataset's study area (:func:`study_area`)."""
    if selection.area is not None:
        return _area_outline(selection.dataset, selection.area)
    return study_area(selection.dataset)


@st.cache_data(max_entries=16)
def _area_outline(dataset: str, area: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [area]}, geometry=[area_polygon(dataset, area)], crs=schema.WGS84
    )


@st.cache_data(max_entries=8)
def boundaries(dataset: str) -> gpd.GeoDataFrame | None:
    """LSOA boundaries of a dataset (None for uploads, national stores and areas without
    them)."""
    if dataset == UPLOAD or is_national(dataset):
        return None
    return datasets.load_boundaries(_described(dataset))


@st.cache_data(show_spinner="Computing Gi*…", max_entries=16)
def gi_cells(selection: Selection, cell_size_m: float | None = None) -> gpd.GeoDataFrame:
    """Gi* grid for the selection, with the map's ``gi_class`` and ``gi_z`` columns."""
    from geo.hotspots import gistar  # scipy.stats takes ~1 s to import: only when asked

    x, y, crs = metric_xy(incidents(selection))
    cells = gistar.hotspot_gistar(x, y, crs, cell_size_m, boundary=outline(selection))
    return cells.assign(gi_class=gistar.gi_class(cells["gi_bin"]), gi_z=cells["gistar"])


@st.cache_data(show_spinner="Computing the density surface…", max_entries=16)
def kde_cells(selection: Selection) -> gpd.GeoDataFrame:
    """Quartic-kernel density grid of the selection (EPSG:4326), for the map."""
    from geo.hotspots import kde  # imported when first asked for, to keep start-up quick

    x, y, crs = metric_xy(incidents(selection))
    return kde.kde_grid(x, y, crs)


@st.cache_data(max_entries=16)
def street_labels(selection: Selection) -> pd.DataFrame:
    """Street names of the selection's incidents at their busiest snap points, for the
    maps' offline base (:func:`geo.maps.layers.street_labels`)."""
    return map_layers.street_labels(incidents(selection))


def static_base(selection: Selection) -> StaticBase:
    """Street names and LSOA outlines under the printed maps (reports, briefings)."""
    return StaticBase(street_labels(selection), boundaries(selection.dataset))


@st.cache_data(max_entries=16)
def k_distance_chart(selection: Selection, min_samples: int, eps_m: float) -> dict:
    """Vega-Lite chart of the selection's k-distance curve (metres) for choosing eps, with
    ``eps_m`` as a red line.

    A core point has ``min_samples`` incidents within eps counting itself, so the curve
    is each incident's distance to its ``min_samples - 1``-th neighbour.
    """
    x, y, _ = metric_xy(incidents(selection))
    curve = hotspots.k_distance_curve(x, y, min_samples - 1)
    line = (
        alt.Chart(curve)
        .mark_line()
        .encode(
            x=alt.X("share:Q", title="Share of incidents (sorted)", axis=alt.Axis(format="%")),
            y=alt.Y("distance_m:Q", title=f"Distance to neighbour {min_samples - 1} (m)"),
        )
    )
    rule = alt.Chart({"values": [{"eps": eps_m}]}).mark_rule(color="red").encode(y="eps:Q")
    return (line + rule).to_dict()


@st.cache_resource(max_entries=64)
def hotspot_profile(
    selection: Selection, eps_m: float, min_samples: int, auto: bool, hotspot_id: int
) -> hotspots.HotspotProfile:
    """:func:`geo.hotspots.dbscan.profile_hotspot` of one hotspot of :func:`find_hotspots`
    (shared by every session; read-only)."""
    return hotspots.profile_hotspot(
        incidents(selection),
        find_hotspots(selection, eps_m, min_samples, auto).labels,
        hotspot_id,
        first_month=selection.first_month,
        last_month=selection.last_month,
        missing_months=missing_months(selection),
    )


# Streamlit runs every script run on a new thread, and pyproj keeps its CRS
# transformers per thread, so each run would rebuild them (about 0.13 s per CRS pair).
# Map building runs on these long-lived threads instead, whose transformers stay built
# for every session; two threads match the two cores the server is sized for.
_PROJ_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="geo-proj")


def on_proj_thread(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``call(*args, **kwargs)`` on a long-lived thread (no Streamlit commands inside)."""
    return _PROJ_THREADS.submit(call, *args, **kwargs).result()


# ---------------------------------------------------------------- the shared sidebar


def sidebar(partner: PartnerAccess | None = None) -> Selection | None:
    """Draw the shared sidebar; return the selection, or None until an upload is usable.

    ``partner`` is the signed-in user's access to partner reports, which then appear
    beside the police.uk areas (None: signed out, or a role that may not see them).
    Every choice is kept in the URL's query parameters, so a view can be shared as a link.
    """
    st.sidebar.header("Data")
    partner_frame = _partner_frame(partner)
    labels = dataset_labels(None if partner_frame is None else analysis.label(partner_frame))
    dataset = _area_selector(labels)
    upload_name = upload_bytes = None
    if dataset == PARTNERS:
        summary = analysis.summary(partner_frame)
        categories = analysis.categories(partner_frame)
        default = analysis.DATASET.defaults.category
    elif dataset == UPLOAD:
        uploaded = st.sidebar.file_uploader(
            "police.uk street CSV, or the downloaded zip", type=["csv", "zip"], key="upload"
        )
        if uploaded is None:
            st.sidebar.info("Upload a police.uk street-level CSV or zip to begin.")
            return None
        try:
            check_upload(uploaded.name, uploaded.size)
            upload_name, upload_bytes = uploaded.name, uploaded.getvalue()
            result = ingest_upload(upload_name, upload_bytes)
        except GeoInputError as error:
            st.sidebar.error(f"This file cannot be used. {escape_markdown(error)}")
            return None
        summary = result.summary.to_dict()
        categories = sorted(result.incidents["category"].unique())
        default = _upload_defaults(upload_name, upload_bytes).category
    elif is_national(dataset):
        summary = national_summary(dataset)
        categories = category_list(dataset)
        default = _national_defaults(dataset).category
    else:
        summary = datasets.load_summary(dataset)
        categories = category_list(dataset)
        default = datasets.get_dataset(dataset).defaults.category
    force = _force_selector(dataset) if is_national(dataset) else None
    area = _area_within_force(dataset, force) if force is not None else None
    if not summary["first_month"]:
        st.sidebar.error(
            "No partner reports yet."
            if dataset == PARTNERS
            else "No rows were accepted from this file; see the data quality panel on the Overview."
        )
        return None
    months = timeseries.month_range(summary["first_month"], summary["last_month"])
    first, last = st.sidebar.select_slider(
        "Months", options=months, value=(months[0], months[-1]), key="months", bind="query-params"
    )
    default_category = [default] if default in categories else []
    new_area = st.session_state.pop(_AREA_CHANGED, False)
    if new_area:
        # The browser keeps a keyed widget's value when its options change: only a value
        # set here replaces the old area's categories with the new area's default.
        st.session_state["categories"] = default_category
    chosen = st.sidebar.multiselect(
        "Categories",
        categories,
        default=None if new_area else default_category,
        key="categories",
        placeholder="All categories",
        bind="query-params",
    )
    if default_category and chosen == default_category:
        st.sidebar.caption(f"{default} is chosen by default; clear it to see all categories.")
    if dataset == PARTNERS:
        st.sidebar.caption(
            "Reports by the partnership's members; what you see depends on your role."
        )
    else:
        st.sidebar.caption(
            "Contains public sector information licensed under the Open Government Licence v3.0."
        )
    return Selection(
        dataset=dataset,
        label=_label(labels[dataset], force, area)
        if dataset != UPLOAD
        else display_name(upload_name),
        first_month=first,
        last_month=last,
        categories=tuple(chosen),
        all_categories=tuple(categories),
        upload_name=upload_name,
        upload_bytes=upload_bytes,
        partner=partner if dataset == PARTNERS else None,
        force=force,
        area=area,
    )


def _label(dataset: str, force: str | None, area: str | None = None) -> str:
    """What titles call the selection: "area, force, dataset" as far as chosen."""
    return ", ".join(part for part in (area, force, dataset) if part is not None)


def _force_selector(dataset: str) -> str | None:
    """The Force selector of a national store (kept in ``?force=``); None for all forces."""
    chosen = st.sidebar.selectbox(
        "Force",
        [ALL_FORCES, *store_forces(dataset)],
        key="force",
        bind="query-params",
        on_change=_reset_force_area,
        help="All forces: the national summary. One force: its incidents and hotspots, "
        "read from the store's partitions for that force only.",
    )
    return None if chosen == ALL_FORCES else chosen


def _area_within_force(dataset: str, force: str) -> str | None:
    """The selector of the store's named areas holding incidents of ``force`` (kept in
    ``?force_area=``); None for the whole force, and when the store has no areas."""
    names = store_area_names(dataset, force)
    if not names:
        return None
    if st.session_state.get(FORCE_AREA) not in (None, WHOLE_FORCE, *names):
        st.session_state.pop(FORCE_AREA)  # e.g. a link naming an area of another force
    chosen = st.sidebar.selectbox(
        "Area within the force",
        [WHOLE_FORCE, *names],
        key=FORCE_AREA,
        bind="query-params",
        help="One of the store's named areas (e.g. a community safety partnership) that "
        "holds some of the force's incidents: only the force's incidents inside it.",
    )
    return None if chosen == WHOLE_FORCE else chosen


@st.cache_data(max_entries=64)
def store_area_names(dataset: str, force: str) -> list[str]:
    """Names of the store's named areas holding incidents of ``force``, sorted (from
    the manifest)."""
    return [area.name for area in areas.store_areas(datasets.store_path(dataset), force)]


#: Session-state (and URL) key of the Area-within-the-force selector.
FORCE_AREA = "force_area"


def _reset_force_area() -> None:
    # Another force has other areas: start it on the whole force. A bound widget's URL
    # value follows its state (the default leaves the URL).
    if FORCE_AREA in st.session_state:
        st.session_state[FORCE_AREA] = WHOLE_FORCE


@st.cache_data(max_entries=8)
def store_forces(dataset: str) -> list[str]:
    """Forces of a store, sorted (a national store's from its manifest)."""
    return query.forces(datasets.store_path(dataset))


def _partner_frame(partner: PartnerAccess | None) -> gpd.GeoDataFrame | None:
    """The partner reports ``partner`` may analyse; None (and one line) when unreadable."""
    if partner is None:
        return None
    try:
        return partner_incidents(partner)
    except (GeoInputError, PermissionError) as error:  # refused, or the database is down
        st.sidebar.warning(f"Partner reports are not available: {escape_markdown(error)}")
        return None


def _area_selector(labels: dict[str, str]) -> str:
    """The Area selector; its key (``torbay``, ``west-end``, ``upload``) is kept in ``?dataset=``.

    Bound widgets write their label to the URL, so the area is carried by hand instead: a
    session's first run reads ``?dataset=`` (a key, or a label from older links) and every run
    writes the key back, so a copied link opens the same area.
    """
    if st.session_state.get("dataset") not in (None, *labels):
        # e.g. partner reports after signing out, or a national store removed meanwhile:
        # back to the default area's settings
        _reset_area_settings()
        st.session_state["dataset"] = DEFAULT_AREA
    if "dataset" not in st.session_state:
        asked = st.query_params.get("dataset")
        found = area_key(asked, labels)
        if asked and found is None:
            # kept until the user picks an area, so a redirect cannot hide it
            st.session_state[_AREA_NOTICE] = (
                f"No area called {asked!r}; showing {labels[DEFAULT_AREA]}."
            )
        st.session_state["dataset"] = found or DEFAULT_AREA
    if _AREA_NOTICE in st.session_state:
        st.sidebar.warning(st.session_state[_AREA_NOTICE])
    dataset = st.sidebar.selectbox(
        "Area",
        list(labels),
        format_func=labels.get,
        key="dataset",
        on_change=_reset_area_settings,
    )
    st.query_params["dataset"] = dataset
    return dataset


def area_key(text: str | None, labels: dict[str, str] | None = None) -> str | None:
    """The Area key that ``text`` names (a key or a label, any case) among ``labels``
    (default: the areas everyone sees), or None."""
    if not text:
        return None
    wanted = text.strip().casefold()
    for key, label in (labels or dataset_labels()).items():
        if wanted in (key.casefold(), label.casefold()):
            return key
    return None


@st.cache_data(max_entries=8)
def category_list(dataset: str) -> list[str]:
    """Categories present in an embedded dataset, most frequent first.

    Counted from the store's category column alone, so the sidebar never loads (and
    caches a second copy of) every row.
    """
    path = datasets.store_path(dataset)
    return query.category_counts(path, query.Selection())["category"].tolist()


def selection() -> Selection | None:
    """The selection the entrypoint's sidebar made for this run."""
    return st.session_state.get("_selection")


def require_selection(*, all_forces: bool = False) -> Selection:
    """The current selection; stops the page with a hint when there is none.

    On a national store a page needs one force, unless it has a national view
    (``all_forces``).
    """
    run_through_entry_script()
    chosen = selection()
    if chosen is None:
        st.info("Choose an area (or upload a file) in the sidebar.")
        st.stop()
    if is_synthetic(chosen):
        st.warning(caveats.SYNTHETIC_REPORTS)
    if chosen.force is None and is_national(chosen.dataset) and not all_forces:
        st.info(
            "This page works on one force at a time: choose a force in the sidebar. "
            "The Overview shows all forces."
        )
        st.stop()
    return chosen


def run_through_entry_script() -> None:
    """Rerun through ``dashboard.py`` when Streamlit ran this page file on its own.

    A ``pages/`` folder beside the entry script makes a fresh server start in Streamlit's
    legacy multipage mode: a link such as ``/hotspots`` then runs ``pages/hotspots.py``
    alone, without the shared sidebar or navigation, until some session runs
    ``st.navigation`` (https://docs.streamlit.io/develop/api-reference/navigation/st.navigation:
    "your app will ignore the pages/ directory"). Leaving that mode and rerunning runs the
    entry script, which routes to the same page: page ids follow the url path in both modes.
    Every page calls it before drawing anything (through :func:`require_selection`, or
    ``pages.auth.signed_in`` for the partner pages).
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


# ---------------------------------------------------------------- tables as users read them


def show_table(frame: pd.DataFrame, container=st, **dataframe_kwargs):
    """``st.dataframe`` of :func:`geo.formatting.present_table`: plain headers with units,
    rounded numbers and "Jan 2024" months; returns what ``st.dataframe`` returns."""
    shown, specs = formatting.present_table(frame)
    config = {
        label: st.column_config.NumberColumn(label, format=spec.printf)
        for label, spec in specs.items()
        if spec.printf
    }
    return container.dataframe(shown, hide_index=True, column_config=config, **dataframe_kwargs)


def table_csv(frame: pd.DataFrame) -> str:
    """CSV download of a table with the same headers and rounding as on screen."""
    return safety.csv_text(formatting.present_table(frame)[0])


# Charts are returned as Vega-Lite specs (for ``st.vega_lite_chart``) built once per table
# for every session: altair's validation of a chart costs several milliseconds a run.


@st.cache_data(max_entries=256)
def weekday_hour_chart(grid: pd.DataFrame, value: str, title: str) -> dict:
    """Heatmap of ``value`` by hour of day (``hour``) and day of week (``weekday`` names),
    the one layout used for peak times, partner reports and aoristic profiles."""
    return (
        alt.Chart(grid)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title="Hour of day"),
            y=alt.Y("weekday:O", sort=list(WEEKDAYS), title=None),
            color=alt.Color(f"{value}:Q", title=title),
            tooltip=["weekday", "hour", value],
        )
        .to_dict()
    )


@st.cache_data(max_entries=256)
def monthly_chart(counts: pd.DataFrame) -> dict:
    """Line of incidents (``count``) by ``month``, the one layout of every monthly trend;
    months without data (NaN) leave gaps."""
    return (
        alt.Chart(counts)
        .mark_line(point=True)
        .encode(
            x=alt.X("month:O", title="Month"),
            y=alt.Y("count:Q", title="Incidents"),
            tooltip=["month", "count"],
        )
        .to_dict()
    )


# Streamlit's legacy mode also lists this helper module as a page (``/common``).
if __name__ == "__main__":
    run_through_entry_script()
