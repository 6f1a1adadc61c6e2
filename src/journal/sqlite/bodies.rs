//! Request and answer bodies in a SQLite journal: packed (`journal::body`) against the values
//! the attempt's row keeps beside them, and read back with the same values. Shared by the
//! writer's operations and the reader, and depending on neither.

use rusqlite::Row;

/// A body as the journal keeps it: packed (`journal::body`) against `known`, always a BLOB, so
/// that a TEXT body is one stored before version 6, as it was. `bodies_of` reads them
/// back with the same values, from the attempt's row.
pub(super) fn stored_body(bytes: &[u8], known: &[&[u8]]) -> rusqlite::types::Value {
    rusqlite::types::Value::Blob(crate::journal::body::pack(bytes, known))
}

/// What a request is packed against: its attempt's uuid, reqTime and orderNo.
pub(super) fn request_known<'a>(
    uuid: &'a str,
    req_time: &'a str,
    order_no: &'a str,
) -> [&'a [u8]; 3] {
    [uuid.as_bytes(), req_time.as_bytes(), order_no.as_bytes()]
}

/// A stored body as it was sent or received: from version 6 (`packed`) a BLOB is packed
/// against `known` ([`stored_body`]) and TEXT is a body stored before, as it was; until
/// then either is the body itself.
pub(super) fn body_bytes(
    r: &Row<'_>,
    i: usize,
    known: &[&[u8]],
    packed: bool,
) -> rusqlite::Result<Option<Vec<u8>>> {
    use rusqlite::types::ValueRef;
    Ok(match r.get_ref(i)? {
        ValueRef::Blob(b) if packed => {
            Some(crate::journal::body::unpack(b, known).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Blob, e.into())
            })?)
        }
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(t.to_vec()),
        _ => None,
    })
}

/// An attempt's request and answer bodies (bytes that were not UTF-8 shown with U+FFFD where
/// they broke), read from columns `request` and `request + 1`, packed against the uuid,
/// reqTime and orderNo at `known`.
pub(super) fn bodies_of(
    r: &Row<'_>,
    request: usize,
    known: [usize; 3],
    packed: bool,
) -> rusqlite::Result<(Option<String>, Option<String>)> {
    let [uuid, req_time, order_no] = known.map(|i| r.get::<_, String>(i));
    let (uuid, req_time, order_no) = (uuid?, req_time?, order_no?);
    let known = request_known(&uuid, &req_time, &order_no);
    let sent = body_bytes(r, request, &known, packed)?;
    let [u, t, o] = known;
    let with_request = [u, t, o, sent.as_deref().unwrap_or_default()];
    let answer = body_bytes(r, request + 1, &with_request, packed)?;
    let lossy = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    Ok((sent.map(lossy), answer.map(lossy)))
}
