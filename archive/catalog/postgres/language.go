package postgres

import "strings"

// languageConfigs maps ISO 639-1 and 639-3 codes (Entry.Language) to the
// PostgreSQL text search configuration of the language; the catalog uses
// the archivist_ copy of it when the database has one (see schemaV1).
// Languages PostgreSQL cannot stem are indexed with archivist_simple.
var languageConfigs = map[string]string{
	"ar": "arabic", "ara": "arabic",
	"hy": "armenian", "hye": "armenian", "arm": "armenian",
	"eu": "basque", "eus": "basque", "baq": "basque",
	"ca": "catalan", "cat": "catalan",
	"da": "danish", "dan": "danish",
	"nl": "dutch", "nld": "dutch", "dut": "dutch",
	"en": "english", "eng": "english",
	"fi": "finnish", "fin": "finnish",
	"fr": "french", "fra": "french", "fre": "french",
	"de": "german", "deu": "german", "ger": "german",
	"el": "greek", "ell": "greek", "gre": "greek",
	"hi": "hindi", "hin": "hindi",
	"hu": "hungarian", "hun": "hungarian",
	"id": "indonesian", "ind": "indonesian",
	"ga": "irish", "gle": "irish",
	"it": "italian", "ita": "italian",
	"lt": "lithuanian", "lit": "lithuanian",
	"ne": "nepali", "nep": "nepali",
	"no": "norwegian", "nor": "norwegian", "nb": "norwegian", "nob": "norwegian", "nn": "norwegian", "nno": "norwegian",
	"pt": "portuguese", "por": "portuguese",
	"ro": "romanian", "ron": "romanian", "rum": "romanian",
	"ru": "russian", "rus": "russian",
	"sr": "serbian", "srp": "serbian",
	"es": "spanish", "spa": "spanish",
	"sv": "swedish", "swe": "swedish",
	"ta": "tamil", "tam": "tamil",
	"tr": "turkish", "tur": "turkish",
	"yi": "yiddish", "yid": "yiddish",
}

// simpleConfig indexes captures of unknown or unstemmed languages: words
// lower-cased and accent-folded, no stemming, no stop words.
const simpleConfig = "archivist_simple"

// configFor returns the text search configuration for a language code
// ("en", "pt-BR", "deu"), given the configurations the database has.
func configFor(language string, have map[string]bool) string {
	code := strings.ToLower(strings.TrimSpace(language))
	if i := strings.IndexAny(code, "-_"); i >= 0 {
		code = code[:i]
	}
	if name, ok := languageConfigs[code]; ok && have["archivist_"+name] {
		return "archivist_" + name
	}
	return simpleConfig
}
