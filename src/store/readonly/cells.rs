//! One value of a result whose columns are not known at compile time,
//! decoded the same way on both backends, so a canned query prints the
//! same rows on MariaDB and SQLite.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::deserialize::{self, FromSql};
use diesel_dynamic_schema::dynamic_value::Any;

/// A value, typed as far as the backend tells.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
    /// UTC, like every stored time.
    Time(NaiveDateTime),
    Date(NaiveDate),
    Bytes(Vec<u8>),
}

impl Cell {
    /// SQLite keeps times as text (`2026-12-01 10:00:00.123`) and dates as
    /// `2026-12-01`; such text is read back as the time or date it is, as
    /// MariaDB's DATETIME and DATE are. (A chat text that is exactly a
    /// timestamp is shown as one; it reads the same.)
    pub fn from_text(s: String) -> Cell {
        let b = s.as_bytes();
        if b.len() >= 19 && b.len() <= 29 && b[4] == b'-' && b[10] == b' ' {
            if let Ok(t) = NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S%.f") {
                return Cell::Time(t);
            }
        }
        if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
            if let Ok(d) = NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
                return Cell::Date(d);
            }
        }
        Cell::Text(s)
    }

    /// A DECIMAL arrives as text: as a number when it is one.
    #[cfg_attr(not(feature = "mysql"), allow(dead_code))]
    fn from_decimal(s: String) -> Cell {
        if let Ok(i) = s.parse() {
            Cell::Int(i)
        } else if let Ok(f) = s.parse() {
            Cell::Float(f)
        } else {
            Cell::Text(s)
        }
    }

    fn from_bytes(b: Vec<u8>) -> Cell {
        match String::from_utf8(b) {
            Ok(s) => Cell::from_text(s),
            Err(e) => Cell::Bytes(e.into_bytes()),
        }
    }
}

#[cfg(feature = "sqlite")]
impl FromSql<Any, diesel::sqlite::Sqlite> for Cell {
    fn from_sql(value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        use diesel::sql_types::{BigInt, Binary, Double, Text};
        use diesel::sqlite::{Sqlite, SqliteType};
        Ok(match value.value_type() {
            Some(SqliteType::Text) => {
                Cell::from_text(<String as FromSql<Text, Sqlite>>::from_sql(value)?)
            }
            Some(SqliteType::Float | SqliteType::Double) => {
                Cell::Float(<f64 as FromSql<Double, Sqlite>>::from_sql(value)?)
            }
            Some(SqliteType::Binary) => {
                Cell::from_bytes(<Vec<u8> as FromSql<Binary, Sqlite>>::from_sql(value)?)
            }
            Some(_) => Cell::Int(<i64 as FromSql<BigInt, Sqlite>>::from_sql(value)?),
            None => Cell::Null,
        })
    }
}

#[cfg(feature = "mysql")]
impl FromSql<Any, diesel::mysql::Mysql> for Cell {
    fn from_sql(value: diesel::mysql::MysqlValue<'_>) -> deserialize::Result<Self> {
        use diesel::mysql::{Mysql, MysqlType as T};
        use diesel::sql_types::{BigInt, Date, Datetime, Double, Text, Time, Timestamp};
        Ok(match value.value_type() {
            T::Tiny
            | T::UnsignedTiny
            | T::Short
            | T::UnsignedShort
            | T::Long
            | T::UnsignedLong
            | T::LongLong
            | T::UnsignedLongLong => Cell::Int(<i64 as FromSql<BigInt, Mysql>>::from_sql(value)?),
            T::Float | T::Double => Cell::Float(<f64 as FromSql<Double, Mysql>>::from_sql(value)?),
            T::Numeric => Cell::from_decimal(<String as FromSql<Text, Mysql>>::from_sql(value)?),
            T::DateTime => Cell::Time(<NaiveDateTime as FromSql<Datetime, Mysql>>::from_sql(
                value,
            )?),
            T::Timestamp => Cell::Time(<NaiveDateTime as FromSql<Timestamp, Mysql>>::from_sql(
                value,
            )?),
            T::Date => Cell::Date(<NaiveDate as FromSql<Date, Mysql>>::from_sql(value)?),
            T::Time => Cell::Text(
                <chrono::NaiveTime as FromSql<Time, Mysql>>::from_sql(value)?
                    .format("%H:%M:%S%.f")
                    .to_string(),
            ),
            T::Bit => Cell::Int(
                value
                    .as_bytes()
                    .iter()
                    .fold(0i64, |n, b| (n << 8) | i64::from(*b)),
            ),
            T::String | T::Enum | T::Set | T::Blob => Cell::from_bytes(value.as_bytes().to_vec()),
            _ => Cell::from_bytes(value.as_bytes().to_vec()),
        })
    }
}
