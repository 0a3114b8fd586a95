//! Printable documents as PDF (a Good Faith Estimate): lines of text in the standard
//! Helvetica faces, wrapped to the page and continued onto more pages, written with the
//! `pdf-writer` crate. Characters outside Windows-1252 (the fonts' encoding) print as "?".

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// One block of a document.
pub enum Block {
    Title(String),
    Heading(String),
    Text(String),
    /// Left text and a right-aligned amount ("90834 × 13 … $1,950.00").
    Row(String, String),
    Gap,
}

const PAGE_WIDTH: f32 = 612.0;
const PAGE_HEIGHT: f32 = 792.0;
const MARGIN: f32 = 56.0;
/// Helvetica's average advance is about half the font size; wrapping by characters at
/// this width keeps lines inside the margins.
const CHARS_PER_LINE: usize = 92;

fn encode(text: &str) -> Vec<u8> {
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    // encoding_rs writes characters it cannot map as HTML entities; print "?" instead.
    if bytes.windows(2).any(|w| w == b"&#") {
        text.chars()
            .map(|c| {
                let s = c.to_string();
                let (b, _, bad) = encoding_rs::WINDOWS_1252.encode(&s);
                if bad {
                    b"?".to_vec()
                } else {
                    b.into_owned()
                }
            })
            .collect::<Vec<Vec<u8>>>()
            .concat()
    } else {
        bytes.into_owned()
    }
}

/// The text's lines at most `width` characters, broken between words; a line break in
/// the text (an address's lines) stays one.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// One line placed on a page: (font, size, x, text).
type Placed = (&'static [u8], f32, f32, String);

/// The document as PDF bytes.
pub fn document(title: &str, blocks: &[Block]) -> Vec<u8> {
    // Lay the lines out first, page by page.
    let mut pages: Vec<Vec<(f32, Placed)>> = vec![Vec::new()];
    let mut y = PAGE_HEIGHT - MARGIN;
    let place = |pages: &mut Vec<Vec<(f32, Placed)>>, y: &mut f32, step: f32, p: Placed| {
        if *y - step < MARGIN {
            pages.push(Vec::new());
            *y = PAGE_HEIGHT - MARGIN;
        }
        *y -= step;
        if let Some(page) = pages.last_mut() {
            page.push((*y, p));
        }
    };
    for block in blocks {
        match block {
            Block::Title(t) => place(&mut pages, &mut y, 22.0, (b"F2", 16.0, MARGIN, t.clone())),
            Block::Heading(t) => place(&mut pages, &mut y, 20.0, (b"F2", 11.5, MARGIN, t.clone())),
            Block::Text(t) => {
                for line in wrap(t, CHARS_PER_LINE) {
                    place(&mut pages, &mut y, 13.0, (b"F1", 10.0, MARGIN, line));
                }
            }
            Block::Row(left, right) => {
                for line in wrap(left, CHARS_PER_LINE - 16) {
                    place(&mut pages, &mut y, 13.0, (b"F1", 10.0, MARGIN, line));
                }
                // The amount on the last line of the left text, at the right margin.
                let x = PAGE_WIDTH - MARGIN - right.chars().count() as f32 * 5.6;
                if let Some(page) = pages.last_mut() {
                    page.push((y, (b"F2", 10.0, x, right.clone())));
                }
            }
            Block::Gap => y -= 8.0,
        }
    }
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(10 + 2 * i as i32))
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(page_ids.len() as i32);
    pdf.document_info(info).title(TextStr(title));
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    for (i, lines) in pages.iter().enumerate() {
        let content_id = Ref::new(11 + 2 * i as i32);
        let mut page = pdf.page(page_ids[i]);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
        page.parent(tree);
        page.contents(content_id);
        page.resources()
            .fonts()
            .pair(Name(b"F1"), regular)
            .pair(Name(b"F2"), bold);
        page.finish();
        let mut content = Content::new();
        for (y, (font, size, x, text)) in lines {
            content.begin_text();
            content.set_font(Name(font), *size);
            content.next_line(*x, *y);
            content.show(Str(&encode(text)));
            content.end_text();
        }
        // The page number, bottom right.
        content.begin_text();
        content.set_font(Name(b"F1"), 8.0);
        content.next_line(PAGE_WIDTH - MARGIN - 60.0, MARGIN / 2.0);
        content.show(Str(&encode(&format!("Page {} of {}", i + 1, pages.len()))));
        content.end_text();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_in_the_text_stay_line_breaks() {
        assert_eq!(
            wrap(
                "Address: 350 Fifth Avenue\nSuite 1200\r\nNew York, NY 10118",
                90
            ),
            [
                "Address: 350 Fifth Avenue",
                "Suite 1200",
                "New York, NY 10118"
            ]
        );
        assert_eq!(wrap("one two three", 8), ["one two", "three"]);
        assert_eq!(wrap("", 8), [""]);
    }

    #[test]
    fn long_documents_continue_onto_more_pages_and_odd_characters_print() {
        let mut blocks = vec![Block::Title("Good Faith Estimate".into())];
        for i in 0..120 {
            blocks.push(Block::Row(
                format!("Line {i} – José’s session"),
                "$1.00".into(),
            ));
        }
        let bytes = document("Test", &blocks);
        assert!(bytes.starts_with(b"%PDF-"));
        let doc = lopdf::Document::load_mem(&bytes).unwrap();
        let pages = doc.get_pages();
        assert!(pages.len() >= 2, "{} pages", pages.len());
        let text = doc.extract_text(&[1]).unwrap();
        assert!(text.contains("Good Faith Estimate"), "{text}");
        assert!(text.contains("José’s session"), "{text}");
        assert_eq!(encode("→"), b"?");
    }
}
