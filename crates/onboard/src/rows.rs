//! The CSV files' columns, and how one record becomes a typed row: every field goes through the
//! domain's own types (the API's), so the import accepts exactly what the API accepts.

use inventory::db::{LocationFields, ProductFields};
use inventory::domain::settings::SETTING_NAMES;
use inventory::domain::{
    Address, Barcode, Brand, Category, Description, ImageUrl, InvalidValue, LocationName,
    LocationType, Money, ProductId, ProductName, Settings, StockCount, StoreId, Unit,
};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Which file a record comes from; each kind has its columns and its required ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Locations,
    Catalog,
    Inventory,
}

/// `locations.csv`: one location per line (a store is a location).
pub const LOCATION_COLUMNS: [&str; 4] = ["location_id", "location_type", "name", "address"];
/// `catalog.csv`: one product per line, the fields of `POST /api/v1/products`.
pub const CATALOG_COLUMNS: [&str; 9] = [
    "product_id",
    "name",
    "brand",
    "barcode",
    "mrp",
    "category",
    "unit",
    "description",
    "image_url",
];
/// `inventory.csv`: one row per store and product, the fields of `POST /api/v1/inventory`.
pub const INVENTORY_COLUMNS: [&str; 11] = [
    "store_id",
    "product_id",
    "current_stock",
    "selling_price",
    "cost_price",
    "min_stock_level",
    "reorder_point",
    "max_stock_level",
    "reorder_quantity",
    "lead_time_days",
    "location",
];

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Locations => "locations",
            Self::Catalog => "catalog",
            Self::Inventory => "inventory",
        }
    }

    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Self::Locations => &LOCATION_COLUMNS,
            Self::Catalog => &CATALOG_COLUMNS,
            Self::Inventory => &INVENTORY_COLUMNS,
        }
    }

    /// Columns the header must have; the others may be left out of the file.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Self::Locations => &LOCATION_COLUMNS,
            Self::Catalog => &["product_id", "name"],
            Self::Inventory => &["store_id", "product_id", "current_stock"],
        }
    }
}

/// A file's header: which position holds which known column.
#[derive(Debug, Clone)]
pub struct Header {
    width: usize,
    positions: HashMap<&'static str, usize>,
}

impl Header {
    /// # Errors
    /// An unknown or repeated column, or a required one missing: the whole file is refused,
    /// since no line of it could be read right.
    pub fn parse(kind: Kind, record: &csv::StringRecord) -> Result<Self, String> {
        let mut positions = HashMap::new();
        for (i, name) in record.iter().enumerate() {
            let name = name.trim().trim_start_matches('\u{feff}');
            let Some(known) = kind.columns().iter().find(|c| **c == name) else {
                return Err(format!(
                    "unknown column {name:?}; the {} columns are {}",
                    kind.name(),
                    kind.columns().join(",")
                ));
            };
            if positions.insert(*known, i).is_some() {
                return Err(format!("column {name:?} appears twice"));
            }
        }
        if let Some(missing) = kind.required().iter().find(|c| !positions.contains_key(*c)) {
            return Err(format!("the header lacks the required column {missing:?}"));
        }
        Ok(Self {
            width: record.len(),
            positions,
        })
    }

    /// The record's fields by column name, once its width matches the header's.
    ///
    /// # Errors
    /// When the record has more or fewer fields than the header.
    pub fn fields<'a>(&'a self, record: &'a csv::StringRecord) -> Result<Fields<'a>, String> {
        if record.len() == self.width {
            Ok(Fields {
                header: self,
                record,
            })
        } else {
            Err(format!(
                "has {} fields where the header has {}",
                record.len(),
                self.width
            ))
        }
    }
}

/// One record's fields, by column name. An empty field is an absent value.
pub struct Fields<'a> {
    header: &'a Header,
    record: &'a csv::StringRecord,
}

impl Fields<'_> {
    fn text(&self, column: &str) -> Option<&str> {
        let i = *self.header.positions.get(column)?;
        self.record.get(i).map(str::trim).filter(|v| !v.is_empty())
    }

    fn required(&self, column: &'static str) -> Result<&str, InvalidValue> {
        self.text(column)
            .ok_or_else(|| InvalidValue::new(column, "is required"))
    }

    fn parse<T>(
        &self,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
    ) -> Result<Option<T>, InvalidValue> {
        self.text(column).map(parse).transpose()
    }

    /// The row's settings, read by the API's own rules ([`Settings::read`], the ones `POST
    /// /api/v1/inventory` and `PATCH` apply): each non-empty settings column as the JSON value
    /// a client would send (a whole number where the text is one, else the text, which the
    /// setting's type then accepts or refuses), and the levels in order.
    fn settings(&self) -> Result<Settings, InvalidValue> {
        let mut body = Map::new();
        for name in SETTING_NAMES {
            if let Some(text) = self.text(name) {
                let value = match name {
                    "selling_price" | "cost_price" | "location" => Value::from(text),
                    _ => text
                        .parse::<i64>()
                        .map_or_else(|_| Value::from(text), Value::from),
                };
                body.insert(name.to_owned(), value);
            }
        }
        let settings = Settings::read(body, &[])?;
        settings.check_levels()?;
        Ok(settings)
    }

    fn whole(&self, column: &'static str) -> Result<Option<i64>, InvalidValue> {
        self.parse(column, |v| {
            v.parse::<i64>()
                .map_err(|_| InvalidValue::new(column, "must be a whole number"))
        })
    }
}

/// A location to create.
#[derive(Debug, Clone)]
pub struct LocationRow {
    pub location_id: StoreId,
    pub fields: LocationFields,
}

/// A catalog product to create.
#[derive(Debug, Clone)]
pub struct CatalogRow {
    pub product_id: ProductId,
    pub fields: ProductFields,
}

/// A store's row to create, with its opening stock.
#[derive(Debug, Clone)]
pub struct InventoryRow {
    pub store_id: StoreId,
    pub product_id: ProductId,
    pub current_stock: StockCount,
    pub settings: Settings,
}

impl LocationRow {
    /// # Errors
    /// The first field that breaks its type's rule.
    pub fn parse(f: &Fields<'_>) -> Result<Self, InvalidValue> {
        Ok(Self {
            location_id: StoreId::parse(f.required("location_id")?)
                .map_err(|e| InvalidValue::new("location_id", e.problem))?,
            fields: LocationFields {
                location_type: LocationType::parse(f.required("location_type")?)
                    .map_err(|e| InvalidValue::new("location_type", e.problem))?,
                name: LocationName::parse(f.required("name")?)?,
                address: Address::parse(f.required("address")?)?,
            },
        })
    }
}

impl CatalogRow {
    /// # Errors
    /// The first field that breaks its type's rule.
    pub fn parse(f: &Fields<'_>) -> Result<Self, InvalidValue> {
        Ok(Self {
            product_id: ProductId::parse(f.required("product_id")?)?,
            fields: ProductFields {
                name: ProductName::parse(f.required("name")?)?,
                brand: f.parse("brand", |v| Brand::parse(v))?,
                barcode: f.parse("barcode", |v| Barcode::parse(v))?,
                mrp: f.parse("mrp", |v| Money::parse("mrp", v))?,
                category: f.parse("category", |v| Category::parse(v))?,
                unit: f.parse("unit", |v| Unit::parse(v))?,
                description: f.parse("description", |v| Description::parse(v))?,
                image_url: f.parse("image_url", |v| ImageUrl::parse(v))?,
            },
        })
    }
}

impl InventoryRow {
    /// # Errors
    /// The first field that breaks its type's rule, or levels out of order.
    pub fn parse(f: &Fields<'_>) -> Result<Self, InvalidValue> {
        let stock = f
            .whole("current_stock")?
            .ok_or_else(|| InvalidValue::new("current_stock", "is required"))?;
        Ok(Self {
            store_id: StoreId::parse(f.required("store_id")?)?,
            product_id: ProductId::parse(f.required("product_id")?)?,
            current_stock: StockCount::new("current_stock", stock)?,
            settings: f.settings()?,
        })
    }
}

/// Reads a whole file of `kind` strictly: the first bad line is an error naming it. For small
/// files that must be right as shipped (the demo data); imports report bad lines and go on.
///
/// # Errors
/// An unreadable file, a bad header, or any bad line.
pub fn read_all<T>(
    kind: Kind,
    path: &std::path::Path,
    parse: impl Fn(&Fields<'_>) -> Result<T, InvalidValue>,
) -> Result<Vec<T>, crate::ImportError> {
    let fail = |message: String| crate::ImportError::Csv {
        path: path.to_owned(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .map_err(|e| fail(e.to_string()))?;
    let mut records = reader.records();
    let first = records
        .next()
        .ok_or_else(|| fail("is empty: line 1 must be the header".into()))?
        .map_err(|e| fail(e.to_string()))?;
    let header = Header::parse(kind, &first).map_err(|m| fail(format!("line 1: {m}")))?;
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|e| fail(e.to_string()))?;
        let line = record.position().map_or(0, csv::Position::line);
        let row = header
            .fields(&record)
            .and_then(|f| parse(&f).map_err(|e| e.to_string()))
            .map_err(|reason| fail(format!("line {line}: {reason}")))?;
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &[&str]) -> csv::StringRecord {
        csv::StringRecord::from(fields.to_vec())
    }

    #[test]
    fn a_header_names_known_columns_once_and_every_required_one() {
        let ok = Header::parse(Kind::Catalog, &record(&["name", "product_id"]));
        assert!(ok.is_ok());
        let unknown = Header::parse(Kind::Catalog, &record(&["product_id", "name", "colour"]));
        assert!(unknown.unwrap_err().contains("unknown column \"colour\""));
        let missing = Header::parse(Kind::Inventory, &record(&["store_id", "product_id"]));
        assert!(missing.unwrap_err().contains("current_stock"));
    }

    #[test]
    fn inventory_fields_parse_through_the_domain_types() {
        let header = Header::parse(Kind::Inventory, &record(&INVENTORY_COLUMNS)).unwrap();
        let parse = |fields: &[&str]| {
            let r = record(fields);
            InventoryRow::parse(&header.fields(&r).unwrap()).map_err(|e| e.to_string())
        };
        assert!(parse(&["s1", "p1", "5", "10.50", "8", "1", "2", "9", "", "", "A1"]).is_ok());
        assert_eq!(
            parse(&["s1", "p1", "five", "", "", "", "", "", "", "", ""]).unwrap_err(),
            "current_stock must be a whole number"
        );
        assert_eq!(
            parse(&["s1", "p1", "-1", "", "", "", "", "", "", "", ""]).unwrap_err(),
            "current_stock must be between 0 and 1000000"
        );
        assert_eq!(
            parse(&["s1", "p1", "1", "1.005", "", "", "", "", "", "", ""]).unwrap_err(),
            "selling_price must have at most two decimal places"
        );
    }
}
