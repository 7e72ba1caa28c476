"""A realistic FlexIT offer feed, generated fast enough for a 1,000,000-row benchmark.

The file looks like FlexIT's ``Outbound/FlexIT_Feed.csv``: a UTF-8 BOM, ``;`` as the
separator, CRLF line endings, the 15 columns in FlexIT's order and nl_NL prices
(``249,00``, ``1.249,00``; the SRP sometimes as ``€ 1.399,00`` or empty). Names carry
non-ASCII characters (an en dash, ``é``, ``Š``) and sometimes a ``"`` (quoted by the CSV
writer), so encodings and quoting are exercised. Every column is built with polars
expressions (randomness from seeded hashes of the row index) — no Python loop per
row — so a million rows take a few seconds.
"""

from __future__ import annotations

import polars as pl

__all__ = ["FLEXIT_COLUMNS", "FLEXIT_MAPPING", "change_rows", "flexit_feed"]

FLEXIT_COLUMNS: tuple[str, ...] = (
    "Flex IT Part Number",
    "Manufacturer",
    "Manufacturer Part Number",
    "Description",
    "EAN",
    "Status",
    "OS",
    "Product Group",
    "Category",
    "Stock Quantity",
    "Incoming Quantity",
    "Incoming Date",
    "Sales Price",
    "SRP",
    "MainImageURL",
)

# The mapping of SPEC §1, as FlexIT's operators wrote it.
FLEXIT_MAPPING: dict[str, str] = {
    "name": "Description",
    "sku": "Flex IT Part Number",
    "stock_available": "Stock Quantity",
    "ean": "EAN",
    "price_purchase_amount": "Sales Price",
    "price_consumer_amount": "SRP",
}

# (manufacturer, model, OS, product group, category, base purchase price in euros)
_MODELS: tuple[tuple[str, str, str, str, str, int], ...] = (
    ("Apple", "iPhone 13", "iOS", "Smartphones", "Mobile Phones", 249),
    ("Apple", "iPhone 14 Pro", "iOS", "Smartphones", "Mobile Phones", 579),
    ("Apple", "iPhone SE (2022)", "iOS", "Smartphones", "Mobile Phones", 179),
    ("Samsung", "Galaxy S22", "Android", "Smartphones", "Mobile Phones", 289),
    ("Samsung", "Galaxy A54 5G", "Android", "Smartphones", "Mobile Phones", 159),
    ("Google", "Pixel 7", "Android", "Smartphones", "Mobile Phones", 219),
    ("Apple", 'MacBook Air 13" M1', "macOS", "Laptops", "Notebooks", 649),
    ("Apple", 'MacBook Pro 14" M1 Pro', "macOS", "Laptops", "Notebooks", 1249),
    ("Lenovo", "ThinkPad T14 Gen 2 \u2013 Café Edition", "Windows 11", "Laptops", "Notebooks", 429),
    ("Lenovo", "ThinkPad X1 Carbon Gen 9", "Windows 11", "Laptops", "Notebooks", 689),
    ("Dell", "Latitude 5420 Škoda Fleet", "Windows 11", "Laptops", "Notebooks", 349),
    ("Apple", "iPad Air (2022)", "iPadOS", "Tablets", "Tablets", 389),
)
_STORAGE: tuple[str, ...] = ("64GB", "128GB", "256GB", "512GB")
_COLOURS: tuple[str, ...] = ("Midnight", "Starlight", "Blue", "Graphite", "Zilver", "Rosé")
_GRADES: tuple[str, ...] = ("Grade A", "Grade B", "Grade C")


def flexit_feed(
    rows: int,
    *,
    seed: int = 0,
    bom: bool = True,
    line_ending: str = "\r\n",
    encoding: str = "utf-8",
) -> bytes:
    """Return a FlexIT CSV feed with ``rows`` offers; the same seed gives the same bytes.

    SKUs are ``FLX-100000`` upwards (unique), EANs are valid EAN-13s, about 15% of the
    offers have stock 0. ``encoding`` is ``"utf-8"`` or ``"windows-1252"``; ``bom`` only
    applies to UTF-8.

    >>> flexit_feed(1).splitlines()[0][:25]
    b'\\xef\\xbb\\xbfFlex IT Part Number;Manu'
    """
    frame = _flexit_frame(rows, seed)
    return _write(frame, bom=bom, line_ending=line_ending, encoding=encoding)


def change_rows(data: bytes, fraction: float, *, seed: int) -> bytes:
    """Return the same feed with ``fraction`` of its rows changed (stock and price).

    The changed rows get ``stock + 1`` and a purchase price one euro higher; the rest of
    the file — BOM, line endings, encoding — stays byte-for-byte the same shape. Used by
    the benchmark's warm sync.
    """
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    try:
        text = body.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        text = body.decode("windows-1252")
        encoding = "windows-1252"
    line_ending = "\r\n" if "\r\n" in text[:4096] else "\n"
    frame = pl.read_csv(text.encode("utf-8"), separator=";", infer_schema=False)
    changed = _random(frame.height, seed, 0, 1_000_000) < int(fraction * 1_000_000)
    cents = _nl_to_cents(pl.col("Sales Price"))
    frame = frame.with_columns(
        pl.when(changed)
        .then((pl.col("Stock Quantity").cast(pl.Int64) + 1).cast(pl.String))
        .otherwise(pl.col("Stock Quantity"))
        .alias("Stock Quantity"),
        pl.when(changed)
        .then(_cents_to_nl(cents + 100))
        .otherwise(pl.col("Sales Price"))
        .alias("Sales Price"),
    )
    return _write(frame, bom=bom, line_ending=line_ending, encoding=encoding)


def _random(rows: int, seed: int, stream: int, bound: int) -> pl.Series:
    """Deterministic pseudo-random integers in [0, bound): a seeded hash of the row index."""
    hashed = pl.int_range(0, rows, eager=True).hash(seed=seed * 1_000 + stream)
    return (hashed % bound).cast(pl.Int64)


def _flexit_frame(rows: int, seed: int) -> pl.DataFrame:
    model = _random(rows, seed, 1, len(_MODELS))
    storage = _random(rows, seed, 2, len(_STORAGE))
    colour = _random(rows, seed, 3, len(_COLOURS))
    grade = _random(rows, seed, 4, len(_GRADES))

    def pick(values: tuple[object, ...], idx: pl.Series) -> pl.Series:
        return pl.Series(list(values)).gather(idx)

    columns = list(zip(*_MODELS, strict=True))
    odd_cents = _random(rows, seed, 5, 100) * (_random(rows, seed, 6, 10) < 3)
    base_euros = pick(columns[5], model) + storage * 40 - grade * 25
    purchase_cents = base_euros * 100 + odd_cents
    in_stock = (_random(rows, seed, 8, 100) >= 15).cast(pl.Int64)
    frame = pl.DataFrame(
        {
            "sku_number": pl.int_range(100_000, 100_000 + rows, eager=True).cast(pl.String),
            "manufacturer": pick(columns[0], model),
            "model": pick(columns[1], model),
            "os": pick(columns[2], model),
            "group": pick(columns[3], model),
            "category": pick(columns[4], model),
            "storage": pick(_STORAGE, storage),
            "colour": pick(_COLOURS, colour),
            "grade": pick(_GRADES, grade),
            "ean12": 870_000_000_000 + _random(rows, seed, 9, 10_000_000_000),
            "stock": (_random(rows, seed, 7, 59) + 1) * in_stock,
            "purchase": purchase_cents,
            "srp": (purchase_cents * 13 // 1000) * 100 + 99,
            "srp_style": _random(rows, seed, 10, 10),  # 0: empty, 1-3: "€ " prefix, else plain
            "incoming": _random(rows, seed, 11, 4) * (_random(rows, seed, 12, 10) < 2),
        }
    )
    srp_text = _cents_to_nl(pl.col("srp"))
    return frame.select(
        pl.concat_str(pl.lit("FLX-"), "sku_number").alias("Flex IT Part Number"),
        pl.col("manufacturer").alias("Manufacturer"),
        pl.concat_str(pl.lit("RF-"), pl.col("sku_number").str.reverse()).alias(
            "Manufacturer Part Number"
        ),
        pl.concat_str(
            "manufacturer",
            pl.lit(" "),
            "model",
            pl.lit(" "),
            "storage",
            pl.lit(" "),
            "colour",
            pl.lit(" \u2013 "),
            "grade",
        ).alias("Description"),
        _ean13(pl.col("ean12")).alias("EAN"),
        pl.lit("Active").alias("Status"),
        pl.col("os").alias("OS"),
        pl.col("group").alias("Product Group"),
        pl.col("category").alias("Category"),
        pl.col("stock").cast(pl.String).alias("Stock Quantity"),
        pl.col("incoming").cast(pl.String).alias("Incoming Quantity"),
        pl.when(pl.col("incoming") > 0).then(pl.lit("2025-07-01")).alias("Incoming Date"),
        _cents_to_nl(pl.col("purchase")).alias("Sales Price"),
        pl.when(pl.col("srp_style") == 0)
        .then(pl.lit(None, pl.String))
        .when(pl.col("srp_style") <= 3)
        .then(pl.concat_str(pl.lit("€ "), srp_text))
        .otherwise(srp_text)
        .alias("SRP"),
        pl.concat_str(
            pl.lit("https://images.flexitdistribution.com/"), "sku_number", pl.lit(".jpg")
        ).alias("MainImageURL"),
    )


def _ean13(first12: pl.Expr) -> pl.Expr:
    """Append the GS1 check digit (weights 3,1 from the right) to a 12-digit integer."""
    total = pl.lit(0, pl.Int64)
    for position in range(12):  # position 0 is the rightmost digit
        digit = (first12 // (10**position)) % 10
        total = total + digit * (3 if position % 2 == 0 else 1)
    check = (10 - total % 10) % 10
    return pl.concat_str(first12.cast(pl.String).str.zfill(12), check.cast(pl.String))


def _cents_to_nl(cents: pl.Expr) -> pl.Expr:
    """Format integer cents in nl_NL: ``124900`` -> ``1.249,00``."""
    euros = cents // 100
    grouped = (
        pl.when(euros >= 1000)
        .then(
            pl.concat_str(
                (euros // 1000).cast(pl.String),
                pl.lit("."),
                (euros % 1000).cast(pl.String).str.zfill(3),
            )
        )
        .otherwise(euros.cast(pl.String))
    )
    return pl.concat_str(grouped, pl.lit(","), (cents % 100).cast(pl.String).str.zfill(2))


def _nl_to_cents(text: pl.Expr) -> pl.Expr:
    return (
        text.str.replace_all(".", "", literal=True)
        .str.replace(",", "", literal=True)
        .cast(pl.Int64)
    )


def _write(frame: pl.DataFrame, *, bom: bool, line_ending: str, encoding: str) -> bytes:
    text = frame.write_csv(separator=";", quote_style="necessary", line_terminator=line_ending)
    if encoding == "utf-8":
        body = text.encode("utf-8")
        return b"\xef\xbb\xbf" + body if bom else body
    if encoding == "windows-1252":
        return text.encode("windows-1252")
    raise ValueError(f"unsupported encoding {encoding!r}; use 'utf-8' or 'windows-1252'")
