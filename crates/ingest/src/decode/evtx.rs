//! Binary `.evtx` files (Windows XML Event Log, signature `ElfFile\0`), transcoded to NDJSON:
//! one line per record in the `evtx` crate's JSON rendering
//! (`{"Event":{"#attributes":…,"System":{…},"EventData":{…}}}`), which the Windows parser reads.
//! EVTX records are not self-contained text (names and templates live elsewhere in their
//! chunk), so what is stored as an EVTX event's raw input is that JSON line.
//!
//! A file is a 4 KiB header and 64 KiB chunks; a chunk holds records, each a fragment of
//! binary XML that usually instantiates a template defined earlier in the chunk with the
//! record's own substitution values. A record that cannot be read becomes a line
//! `{"evtx_error": "…", "record": N}` (a damaged chunk `{"evtx_error": "…", "chunk": N}`), so
//! it is kept as an unparsed event with the reason, never skipped; reading goes on with the
//! next record or chunk.

use std::collections::HashMap;
use std::fmt::Write as _;

/// The file signature.
pub const MAGIC: &[u8] = b"ElfFile\0";
const CHUNK_MAGIC: &[u8] = b"ElfChnk\0";
const RECORD_MAGIC: &[u8] = b"\x2a\x2a\x00\x00";
const FILE_HEADER_SIZE: usize = 4096;
const CHUNK_SIZE: usize = 65536;
/// Where a chunk's records start (after its header and string and template tables).
const RECORDS_START: usize = 512;
/// Record header: signature, size, record id, time.
const RECORD_HEADER: usize = 24;
/// How deep elements and templates may nest (real events nest a handful of levels).
const MAX_DEPTH: usize = 64;

/// Whether a body is an EVTX file.
pub fn is_evtx(body: &[u8]) -> bool {
    body.starts_with(MAGIC)
}

/// Every record of an EVTX file as one JSON line (see the module documentation).
pub fn to_ndjson(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() * 2);
    if body.len() < FILE_HEADER_SIZE {
        error_line(
            &mut out,
            "the file is shorter than an EVTX header",
            "chunk",
            0,
        );
        return out;
    }
    for (n, chunk) in body[FILE_HEADER_SIZE..].chunks(CHUNK_SIZE).enumerate() {
        read_chunk(chunk, n as u64, &mut out);
    }
    out
}

/// Append one chunk's records (or what went wrong) as lines.
fn read_chunk(chunk: &[u8], n: u64, out: &mut Vec<u8>) {
    if chunk.iter().all(|&b| b == 0) {
        // Space the log has allocated but not written yet.
        return;
    }
    if !chunk.starts_with(CHUNK_MAGIC) {
        error_line(out, "not an EVTX chunk (bad signature)", "chunk", n);
        return;
    }
    if chunk.len() < RECORDS_START {
        error_line(out, "the chunk is cut short", "chunk", n);
        return;
    }
    let free = u32_at(chunk, 48).map_or(chunk.len(), |f| f as usize);
    let end = free.min(chunk.len());
    let mut reader = Chunk {
        data: chunk,
        templates: HashMap::new(),
    };
    let mut at = RECORDS_START;
    while at + RECORD_HEADER <= end {
        if &chunk[at..at + 4] != RECORD_MAGIC {
            let why = format!("no record at offset {at}; the rest of the chunk is unread");
            error_line(out, &why, "chunk", n);
            return;
        }
        let size = u32_at(chunk, at + 4).unwrap_or(0) as usize;
        let id = u64_at(chunk, at + 8).unwrap_or(0);
        if size < RECORD_HEADER + 4 || at + size > end {
            let why = format!("record of {size} bytes at offset {at} does not fit its chunk; the rest of the chunk is unread");
            error_line(out, &why, "record", id);
            return;
        }
        match reader.record(at + RECORD_HEADER, at + size - 4) {
            Ok(root) => {
                write_root(out, &root);
                out.push(b'\n');
            }
            Err(why) => error_line(out, &why, "record", id),
        }
        at += size;
    }
}

/// `{"evtx_error": why, what: n}` and a newline.
fn error_line(out: &mut Vec<u8>, why: &str, what: &str, n: u64) {
    out.extend_from_slice(b"{\"evtx_error\":");
    write_str(out, why);
    let _ = write!(Str(out), ",\"{what}\":{n}}}");
    out.push(b'\n');
}

/// A piece of binary XML content.
#[derive(Clone, Debug)]
enum Piece {
    /// Text.
    Text(String),
    /// A typed value.
    Value(Val),
    /// A template substitution, before it is filled.
    Subst { index: u16, optional: bool },
    /// An element.
    Element(Elem),
}

/// An element: its name, attributes and content.
#[derive(Clone, Debug)]
struct Elem {
    name: String,
    attrs: Vec<(String, Vec<Piece>)>,
    children: Vec<Piece>,
}

/// A substitution value.
#[derive(Clone, Debug)]
enum Val {
    Null,
    Str(String),
    Num(serde_json::Number),
    Bool(bool),
    List(Vec<Val>),
    /// A nested binary XML fragment (already filled).
    Xml(Vec<Piece>),
}

/// Reads records of one chunk; templates are parsed once and kept by their offset.
struct Chunk<'a> {
    data: &'a [u8],
    templates: HashMap<u32, Vec<Piece>>,
}

type Result<T> = std::result::Result<T, String>;

/// A cursor over the chunk (offsets are chunk-relative, as names and templates refer to).
struct Cursor {
    at: usize,
    end: usize,
    depth: usize,
    /// Inside a substitution value, elements have no dependency id.
    in_value: bool,
}

impl Chunk<'_> {
    /// The root content of the record whose binary XML is `start..end`.
    fn record(&mut self, start: usize, end: usize) -> Result<Vec<Piece>> {
        let mut c = Cursor {
            at: start,
            end,
            depth: 0,
            in_value: false,
        };
        self.fragment(&mut c)
    }

    /// A fragment: a header, then elements or template instances, up to the end token.
    fn fragment(&mut self, c: &mut Cursor) -> Result<Vec<Piece>> {
        let mut pieces = Vec::new();
        while c.at < c.end {
            match self.byte(c.at)? {
                0x00 => break,
                0x0f => c.at += 4,
                0x0c => pieces.extend(self.template_instance(c)?),
                0x01 | 0x41 => pieces.push(Piece::Element(self.element(c)?)),
                t => return Err(format!("unexpected token 0x{t:02x} at offset {}", c.at)),
            }
        }
        Ok(pieces)
    }

    /// A template instance: the template (parsed once) filled with this record's values.
    fn template_instance(&mut self, c: &mut Cursor) -> Result<Vec<Piece>> {
        c.depth += 1;
        if c.depth > MAX_DEPTH {
            return Err("templates nest too deep".into());
        }
        let def = self.u32(c.at + 6)?;
        c.at += 10;
        if def as usize == c.at {
            // Defined here, in line: skip the definition.
            let size = self.u32(c.at + 20)? as usize;
            c.at += 24 + size;
        }
        if !self.templates.contains_key(&def) {
            let template = self.template_definition(def, c.depth)?;
            self.templates.insert(def, template);
        }
        let count = self.u32(c.at)? as usize;
        c.at += 4;
        if count > (c.end.saturating_sub(c.at)) / 4 {
            return Err(format!("{count} substitutions do not fit the record"));
        }
        let mut descriptors = Vec::with_capacity(count);
        for i in 0..count {
            let at = c.at + i * 4;
            descriptors.push((self.u16(at)? as usize, self.byte(at + 2)?));
        }
        c.at += count * 4;
        let mut values = Vec::with_capacity(count);
        for (size, kind) in descriptors {
            if c.at + size > c.end {
                return Err("a substitution value runs past the record".into());
            }
            values.push(self.value(c.at, size, kind, c.depth)?);
            c.at += size;
        }
        let template = self
            .templates
            .get(&def)
            .ok_or_else(|| "template lost".to_string())?;
        c.depth -= 1;
        Ok(fill(template, &values))
    }

    /// The template defined at `offset`: its header, then a fragment.
    fn template_definition(&mut self, offset: u32, depth: usize) -> Result<Vec<Piece>> {
        let start = offset as usize + 24;
        let size = self.u32(offset as usize + 20)? as usize;
        if start + size > self.data.len() {
            return Err(format!("template at offset {offset} runs past its chunk"));
        }
        let mut c = Cursor {
            at: start,
            end: start + size,
            depth,
            in_value: false,
        };
        self.fragment(&mut c)
    }

    /// An element, from its start token.
    fn element(&mut self, c: &mut Cursor) -> Result<Elem> {
        c.depth += 1;
        if c.depth > MAX_DEPTH {
            return Err("elements nest too deep".into());
        }
        let token = self.byte(c.at)?;
        c.at += 1;
        if !c.in_value {
            // The dependency id; some writers leave it out, which shows as a size too large.
            let size = self.u32(c.at + 2)? as usize;
            if size < self.data.len() {
                c.at += 2;
            }
        }
        c.at += 4;
        let name = self.name_ref(c)?;
        if token & 0x40 != 0 {
            c.at += 4;
        }
        let mut attrs = Vec::new();
        while self.byte(c.at)? & 0xbf == 0x06 {
            c.at += 1;
            let attr = self.name_ref(c)?;
            let value = self.attribute_value(c)?;
            attrs.push((attr, value));
        }
        let children = match self.byte(c.at)? {
            0x02 => {
                c.at += 1;
                self.content(c)?
            }
            0x03 => {
                c.at += 1;
                Vec::new()
            }
            t => {
                return Err(format!(
                    "unexpected token 0x{t:02x} in element <{name}> at offset {}",
                    c.at
                ))
            }
        };
        c.depth -= 1;
        Ok(Elem {
            name,
            attrs,
            children,
        })
    }

    /// An element's content, up to its end token.
    fn content(&mut self, c: &mut Cursor) -> Result<Vec<Piece>> {
        let mut pieces = Vec::new();
        loop {
            if c.at >= c.end {
                return Err("an element is not closed before the record ends".into());
            }
            match self.byte(c.at)? {
                0x04 => {
                    c.at += 1;
                    return Ok(pieces);
                }
                0x01 | 0x41 => pieces.push(Piece::Element(self.element(c)?)),
                0x0c => pieces.extend(self.template_instance(c)?),
                0x0a => {
                    c.at += 1;
                    self.name_ref(c)?;
                }
                0x0b => {
                    c.at += 1;
                    let len = self.u16(c.at)? as usize;
                    c.at += 2 + 2 * len;
                }
                _ => pieces.push(self.text_piece(c)?),
            }
        }
    }

    /// An attribute's value: the text, value and substitution tokens that follow its name.
    fn attribute_value(&mut self, c: &mut Cursor) -> Result<Vec<Piece>> {
        let mut pieces = Vec::new();
        while matches!(
            self.byte(c.at)? & 0xbf,
            0x05 | 0x07 | 0x08 | 0x09 | 0x0d | 0x0e
        ) {
            pieces.push(self.text_piece(c)?);
        }
        Ok(pieces)
    }

    /// A value, substitution, CDATA, character or entity reference token.
    fn text_piece(&mut self, c: &mut Cursor) -> Result<Piece> {
        let token = self.byte(c.at)?;
        c.at += 1;
        match token & 0xbf {
            0x05 => {
                let kind = self.byte(c.at)?;
                if kind != 0x01 {
                    return Err(format!(
                        "value token of type 0x{kind:02x} at offset {}",
                        c.at
                    ));
                }
                let text = self.utf16_counted(c.at + 1)?;
                c.at += 3 + 2 * self.u16(c.at + 1)? as usize;
                Ok(Piece::Text(text))
            }
            0x07 => {
                let text = self.utf16_counted(c.at)?;
                c.at += 2 + 2 * self.u16(c.at)? as usize;
                Ok(Piece::Text(text))
            }
            0x08 => {
                let code = self.u16(c.at)?;
                c.at += 2;
                Ok(Piece::Text(
                    char::from_u32(code.into())
                        .unwrap_or('\u{fffd}')
                        .to_string(),
                ))
            }
            0x09 => {
                let name = self.name_ref(c)?;
                let text = match name.as_str() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => return Err(format!("unknown entity &{other};")),
                };
                Ok(Piece::Text(text.into()))
            }
            0x0d | 0x0e => {
                let index = self.u16(c.at)?;
                c.at += 3;
                Ok(Piece::Subst {
                    index,
                    optional: token == 0x0e,
                })
            }
            _ => Err(format!(
                "unexpected token 0x{token:02x} at offset {}",
                c.at - 1
            )),
        }
    }

    /// A name by its chunk offset; a name defined in line (at the cursor) is skipped over.
    fn name_ref(&mut self, c: &mut Cursor) -> Result<String> {
        let offset = self.u32(c.at)? as usize;
        c.at += 4;
        let name = self.utf16_counted(offset + 6)?;
        if offset == c.at {
            c.at += 10 + 2 * self.u16(offset + 6)? as usize;
        }
        Ok(name)
    }

    /// A substitution value of `kind`, `size` bytes at `at`.
    fn value(&mut self, at: usize, size: usize, kind: u8, depth: usize) -> Result<Val> {
        let bytes = self.data.get(at..at + size).ok_or("value out of bounds")?;
        if kind & 0x80 != 0 && kind != 0x81 {
            let width = width(kind & 0x7f).ok_or_else(|| format!("array of type 0x{kind:02x}"))?;
            return Ok(Val::List(
                bytes
                    .chunks_exact(width)
                    .map(|b| scalar(kind & 0x7f, b).unwrap_or(Val::Null))
                    .collect(),
            ));
        }
        Ok(match kind {
            0x00 => Val::Null,
            0x01 => Val::Str(utf16(bytes)),
            0x02 => Val::Str(
                String::from_utf8_lossy(bytes)
                    .trim_end_matches('\0')
                    .to_string(),
            ),
            0x0e => Val::Str(bytes.iter().fold(String::new(), |mut s, b| {
                let _ = write!(s, "{b:02X}");
                s
            })),
            0x20 | 0x23 => Val::Null,
            0x21 => {
                let mut c = Cursor {
                    at,
                    end: at + size,
                    depth,
                    in_value: true,
                };
                Val::Xml(self.fragment(&mut c)?)
            }
            0x81 => Val::List(
                bytes
                    .chunks_exact(2)
                    .map(|p| u16::from_le_bytes([p[0], p[1]]))
                    .collect::<Vec<_>>()
                    .split(|&u| u == 0)
                    .filter(|s| !s.is_empty())
                    .map(|s| Val::Str(String::from_utf16_lossy(s)))
                    .collect(),
            ),
            k => scalar(k, bytes)
                .ok_or_else(|| format!("value of type 0x{k:02x} and {size} bytes"))?,
        })
    }

    fn byte(&self, at: usize) -> Result<u8> {
        self.data.get(at).copied().ok_or_else(|| out_of_chunk(at))
    }

    fn u16(&self, at: usize) -> Result<u16> {
        u16_at(self.data, at).ok_or_else(|| out_of_chunk(at))
    }

    fn u32(&self, at: usize) -> Result<u32> {
        u32_at(self.data, at).ok_or_else(|| out_of_chunk(at))
    }

    /// UTF-16 text prefixed by its length in characters (at `at`).
    fn utf16_counted(&self, at: usize) -> Result<String> {
        let len = self.u16(at)? as usize;
        let bytes = self
            .data
            .get(at + 2..at + 2 + 2 * len)
            .ok_or_else(|| out_of_chunk(at))?;
        Ok(utf16(bytes))
    }
}

fn out_of_chunk(at: usize) -> String {
    format!("offset {at} is outside the chunk")
}

/// Bytes of one element of an array type.
fn width(kind: u8) -> Option<usize> {
    Some(match kind {
        0x03 | 0x04 => 1,
        0x05 | 0x06 => 2,
        0x07 | 0x08 | 0x0b | 0x0d | 0x14 => 4,
        0x09 | 0x0a | 0x0c | 0x11 | 0x15 => 8,
        0x0f | 0x12 => 16,
        _ => return None,
    })
}

/// A fixed-size value.
fn scalar(kind: u8, b: &[u8]) -> Option<Val> {
    let num = |n: serde_json::Number| Some(Val::Num(n));
    let le = |n: usize| -> Option<u64> {
        let bytes = b.get(..n)?;
        Some(
            bytes
                .iter()
                .rev()
                .fold(0u64, |acc, &x| acc << 8 | u64::from(x)),
        )
    };
    match kind {
        0x03 => num((le(1)? as u8 as i8).into()),
        0x04 => num((le(1)? as u8).into()),
        0x05 => num((le(2)? as u16 as i16).into()),
        0x06 => num((le(2)? as u16).into()),
        0x07 => num((le(4)? as u32 as i32).into()),
        0x08 => num((le(4)? as u32).into()),
        0x09 => num((le(8)? as i64).into()),
        0x0a => num(le(8)?.into()),
        0x0b => Some(float(f64::from(f32::from_bits(le(4)? as u32)))),
        0x0c => Some(float(f64::from_bits(le(8)?))),
        0x0d => Some(Val::Bool(le(b.len().min(4))? != 0)),
        0x0f => guid(b),
        0x10 if b.len() == 4 || b.len() == 8 => Some(Val::Str(format!("0x{:x}", le(b.len())?))),
        0x11 => Some(Val::Str(filetime(le(8)?))),
        0x12 => systime(b),
        0x13 => sid(b),
        0x14 => Some(Val::Str(format!("0x{:x}", le(4)?))),
        0x15 => Some(Val::Str(format!("0x{:x}", le(8)?))),
        _ => None,
    }
}

fn float(f: f64) -> Val {
    serde_json::Number::from_f64(f).map_or(Val::Null, Val::Num)
}

/// UTF-16LE text without its trailing NULs.
fn utf16(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect();
    String::from_utf16_lossy(&units)
        .trim_end_matches('\0')
        .to_string()
}

/// `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}`.
fn guid(b: &[u8]) -> Option<Val> {
    let b = b.get(..16)?;
    let d1 = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let d2 = u16::from_le_bytes([b[4], b[5]]);
    let d3 = u16::from_le_bytes([b[6], b[7]]);
    let mut s = format!("{{{d1:08x}-{d2:04x}-{d3:04x}-{:02x}{:02x}-", b[8], b[9]);
    for x in &b[10..16] {
        let _ = write!(s, "{x:02x}");
    }
    s.push('}');
    Some(Val::Str(s))
}

/// A FILETIME (100 ns since 1601) as RFC 3339 with its seven decimals; out of range, its
/// number.
fn filetime(ticks: u64) -> String {
    const UNIX_EPOCH_TICKS: i64 = 116_444_736_000_000_000;
    let since_unix = ticks as i128 - i128::from(UNIX_EPOCH_TICKS);
    let seconds = since_unix.div_euclid(10_000_000);
    let fraction = since_unix.rem_euclid(10_000_000);
    match i64::try_from(seconds)
        .ok()
        .and_then(|s| jiff::Timestamp::new(s, 0).ok())
    {
        Some(t) => format!("{}.{fraction:07}Z", t.strftime("%Y-%m-%dT%H:%M:%S")),
        None => ticks.to_string(),
    }
}

/// A SYSTEMTIME (year, month, weekday, day, hour, minute, second, ms) as RFC 3339.
fn systime(b: &[u8]) -> Option<Val> {
    let f: Vec<u16> = b
        .get(..16)?
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect();
    Some(Val::Str(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        f[0], f[1], f[3], f[4], f[5], f[6], f[7]
    )))
}

/// A security identifier as `S-1-5-21-…`.
fn sid(b: &[u8]) -> Option<Val> {
    let revision = *b.first()?;
    let count = *b.get(1)? as usize;
    let authority = b
        .get(2..8)?
        .iter()
        .fold(0u64, |acc, &x| acc << 8 | u64::from(x));
    let mut s = format!("S-{revision}-{authority}");
    for i in 0..count {
        let at = 8 + 4 * i;
        let sub = u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?);
        let _ = write!(s, "-{sub}");
    }
    Some(Val::Str(s))
}

/// A template's pieces with its substitutions replaced by `values`; an optional substitution
/// without a value disappears (an attribute left empty by it too).
fn fill(template: &[Piece], values: &[Val]) -> Vec<Piece> {
    let mut out = Vec::with_capacity(template.len());
    for piece in template {
        match piece {
            Piece::Subst { index, optional } => match values.get(*index as usize) {
                Some(Val::Xml(pieces)) => out.extend(pieces.iter().cloned()),
                Some(Val::Null) | None if *optional => {}
                Some(v) => out.push(Piece::Value(v.clone())),
                None => out.push(Piece::Value(Val::Null)),
            },
            Piece::Element(e) => {
                let attrs = e
                    .attrs
                    .iter()
                    .map(|(k, v)| (k.clone(), fill(v, values)))
                    .filter(|(_, v)| {
                        !v.is_empty() && !v.iter().all(|p| matches!(p, Piece::Value(Val::Null)))
                    })
                    .collect();
                out.push(Piece::Element(Elem {
                    name: e.name.clone(),
                    attrs,
                    children: fill(&e.children, values),
                }));
            }
            other => out.push(other.clone()),
        }
    }
    out
}

/// Write the record's root element as `{"Event": …}`.
fn write_root(out: &mut Vec<u8>, root: &[Piece]) {
    let element = root.iter().find_map(|p| match p {
        Piece::Element(e) => Some(e),
        _ => None,
    });
    out.push(b'{');
    match element {
        Some(e) => {
            write_str(out, &e.name);
            out.push(b':');
            write_element(out, e);
        }
        None => out.extend_from_slice(b"\"Event\":null"),
    }
    out.push(b'}');
}

/// An element as JSON: `null` when empty, its value when it holds only text, else an object
/// of `#attributes`, child elements by name (`Data` elements by their `Name` attribute) and
/// `#text`.
fn write_element(out: &mut Vec<u8>, e: &Elem) {
    let elements: Vec<&Elem> = e
        .children
        .iter()
        .filter_map(|p| match p {
            Piece::Element(c) => Some(c),
            _ => None,
        })
        .collect();
    let text: Vec<&Piece> = e
        .children
        .iter()
        .filter(|p| !matches!(p, Piece::Element(_)))
        .collect();
    if e.attrs.is_empty() && elements.is_empty() {
        write_text(out, &text);
        return;
    }
    out.push(b'{');
    let mut first = true;
    let mut key = |out: &mut Vec<u8>, k: &str| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        write_str(out, k);
        out.push(b':');
    };
    if !e.attrs.is_empty() {
        key(out, "#attributes");
        out.push(b'{');
        for (i, (name, value)) in e.attrs.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(out, name);
            out.push(b':');
            write_text(out, &value.iter().collect::<Vec<_>>());
        }
        out.push(b'}');
    }
    let mut seen: Vec<String> = Vec::new();
    for child in elements {
        let named = (child.name == "Data")
            .then(|| child.attrs.iter().find(|(k, _)| k == "Name"))
            .flatten();
        let mut name = match named {
            Some((_, v)) => text_of(v),
            None => child.name.clone(),
        };
        let mut n = 0;
        while seen.contains(&name) {
            n += 1;
            name = format!("{}_{n}", child.name);
        }
        seen.push(name.clone());
        key(out, &name);
        match named {
            Some(_) => write_text(out, &child.children.iter().collect::<Vec<_>>()),
            None => write_element(out, child),
        }
    }
    if text
        .iter()
        .any(|p| !matches!(p, Piece::Text(t) if t.trim().is_empty()))
    {
        key(out, "#text");
        write_text(out, &text);
    }
    out.push(b'}');
}

/// Text content as JSON: one value keeps its type; several are joined as a string.
fn write_text(out: &mut Vec<u8>, pieces: &[&Piece]) {
    match pieces {
        [] => out.extend_from_slice(b"null"),
        [Piece::Value(v)] => write_val(out, v),
        _ => write_str(out, &text_of(pieces.iter().copied())),
    }
}

/// Pieces as one string.
fn text_of<'p>(pieces: impl IntoIterator<Item = &'p Piece>) -> String {
    let mut s = String::new();
    for p in pieces {
        match p {
            Piece::Text(t) => s.push_str(t),
            Piece::Value(v) => s.push_str(&val_text(v)),
            Piece::Subst { .. } | Piece::Element(_) => {}
        }
    }
    s
}

fn val_text(v: &Val) -> String {
    match v {
        Val::Null | Val::Xml(_) => String::new(),
        Val::Str(s) => s.clone(),
        Val::Num(n) => n.to_string(),
        Val::Bool(b) => b.to_string(),
        Val::List(items) => items.iter().map(val_text).collect::<Vec<_>>().join(","),
    }
}

fn write_val(out: &mut Vec<u8>, v: &Val) {
    match v {
        Val::Null | Val::Xml(_) => out.extend_from_slice(b"null"),
        Val::Str(s) => write_str(out, s),
        Val::Num(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Val::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Val::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_val(out, item);
            }
            out.push(b']');
        }
    }
}

/// A JSON string.
fn write_str(out: &mut Vec<u8>, s: &str) {
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// `write!` into a byte buffer.
struct Str<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Str<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_damaged_files_say_what_failed() {
        let out = String::from_utf8(to_ndjson(b"ElfFile\0short")).unwrap();
        assert_eq!(
            out,
            "{\"evtx_error\":\"the file is shorter than an EVTX header\",\"chunk\":0}\n"
        );
        let mut file = vec![0u8; FILE_HEADER_SIZE];
        file[..8].copy_from_slice(MAGIC);
        // An unwritten (zero) chunk is no record; a chunk with another signature is an error.
        file.extend(vec![0u8; CHUNK_SIZE]);
        file.extend(b"garbage");
        let out = String::from_utf8(to_ndjson(&file)).unwrap();
        assert_eq!(
            out,
            "{\"evtx_error\":\"not an EVTX chunk (bad signature)\",\"chunk\":1}\n"
        );
    }

    #[test]
    fn a_bad_record_is_reported_and_reading_stops_in_that_chunk() {
        let mut file = vec![0u8; FILE_HEADER_SIZE];
        file[..8].copy_from_slice(MAGIC);
        let mut chunk = vec![0u8; CHUNK_SIZE];
        chunk[..8].copy_from_slice(CHUNK_MAGIC);
        chunk[48..52].copy_from_slice(&1024u32.to_le_bytes());
        // A record whose binary XML is one unknown token.
        chunk[512..516].copy_from_slice(RECORD_MAGIC);
        chunk[516..520].copy_from_slice(&32u32.to_le_bytes());
        chunk[520..528].copy_from_slice(&7u64.to_le_bytes());
        chunk[536] = 0x99;
        // Then no record signature.
        chunk[544] = 1;
        file.extend(chunk);
        let out = String::from_utf8(to_ndjson(&file)).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(
            lines[0].contains("unexpected token 0x99") && lines[0].ends_with("\"record\":7}"),
            "{out}"
        );
        assert!(lines[1].contains("no record at offset 544"), "{out}");
    }

    /// The fuzz seeds (records built by hand: plain elements, and a template with typed
    /// substitutions) after a file header and chunk signature, as the fuzz target frames them.
    fn seed(bytes: &[u8]) -> String {
        let mut file = MAGIC.to_vec();
        file.resize(FILE_HEADER_SIZE, 0);
        file.extend_from_slice(CHUNK_MAGIC);
        file.extend_from_slice(&bytes[1..]);
        String::from_utf8(to_ndjson(&file)).unwrap()
    }

    #[test]
    fn records_with_and_without_templates_are_rendered() {
        let plain = seed(include_bytes!("../../fuzz/seeds/evtx/plain-4624.bin"));
        assert_eq!(
            plain,
            "{\"Event\":{\"#attributes\":{\"xmlns\":\"http://schemas.microsoft.com/win/2004/08/events/event\"},\"System\":{\"EventID\":\"4624\",\"TimeCreated\":{\"#attributes\":{\"SystemTime\":\"2024-05-01T10:00:00.0000000Z\"}},\"Channel\":\"Security\",\"Computer\":\"DC1\"},\"EventData\":{\"TargetUserName\":\"alice\",\"TargetLogonId\":\"0x1a2b\",\"LogonType\":\"3\",\"IpAddress\":\"10.0.0.7\"}}}\n"
        );
        let templated = seed(include_bytes!("../../fuzz/seeds/evtx/template-4625.bin"));
        assert!(templated.contains("\"System\":{\"EventID\":4625,\"TimeCreated\":{\"#attributes\":{\"SystemTime\":\"2024-05-01T01:20:00.0000000Z\"}},\"Channel\":\"Security\""), "{templated}");
        assert!(templated.contains("\"TargetLogonId\":\"0x1a2b3c\",\"TargetUserSid\":\"S-1-5-21-1-2-3-1104\",\"IpAddress\":null"), "{templated}");
    }

    #[test]
    fn values_are_rendered_as_windows_writes_them() {
        let sid_bytes = [1u8, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 32, 2, 0, 0];
        assert!(matches!(sid(&sid_bytes), Some(Val::Str(s)) if s == "S-1-5-32-544"));
        let g = [
            0x25, 0x96, 0x84, 0x54, 0x78, 0x54, 0x94, 0x49, 0xa5, 0xba, 0x3e, 0x3b, 0x03, 0x28,
            0xc3, 0x0d,
        ];
        assert!(
            matches!(guid(&g), Some(Val::Str(s)) if s == "{54849625-5478-4994-a5ba-3e3b0328c30d}")
        );
        assert_eq!(
            filetime(132_000_000_000_000_001),
            "2019-04-17T18:40:00.0000001Z"
        );
        assert_eq!(filetime(u64::MAX), u64::MAX.to_string());
        assert!(matches!(scalar(0x14, &[0xe7, 0x03, 0, 0]), Some(Val::Str(s)) if s == "0x3e7"));
        assert!(scalar(0x08, &[1, 0]).is_none());
        assert_eq!(utf16(&[b'h', 0, b'i', 0, 0, 0]), "hi");
    }
}
