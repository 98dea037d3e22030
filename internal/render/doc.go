// Package render writes a classified diff for people and programs: an
// aligned table for terminals, Markdown for pull and merge request bodies,
// and JSON, the stable contract scripts build on (see JSON).
//
// Everything scanners and vulnerability databases wrote is treated as
// untrusted: the table strips terminal control sequences, the Markdown
// escapes HTML, Markdown syntax, mentions and issue references, and links
// only http(s) URLs.
package render
