package postgres

import "github.com/archivist-project/archivist/archive/pgdb"

// Schema is the catalog's part of the database schema, for `archivist
// migrate` (pgdb.Migrate). Open refuses a database that is not exactly at
// its latest version.
func Schema() pgdb.Component {
	return pgdb.Component{Name: "catalog", Migrations: []pgdb.Migration{
		{Version: 1, Name: "captures, text search configurations and full-text index", SQL: schemaV1},
	}}
}

// schemaV1 creates the captures table and its full-text index.
//
// Text search: PostgreSQL ships a configuration per language it can stem
// (english, german, french... 29 in PostgreSQL 15) and "simple", which
// only lower-cases. Each gets an archivist_ copy that also folds accents
// through the unaccent dictionary, as SQLite's remove_diacritics does, so
// "zurich" finds "Zürich" in both backends. A capture is indexed with the
// configuration of its language (ts_config, chosen by the code from
// Entry.Language; archivist_simple when the language is unknown or has no
// stemmer), and a query is matched against each capture in that capture's
// own configuration: catalog_ts_configs lists the configurations in use,
// so a search runs once per language present, each through the GIN index.
//
// fts is a stored generated column, so every statement that writes title,
// text or ts_config keeps the index right; title weighs A and text B, and
// at most the first 200,000 characters of a text are indexed (a tsvector
// holds at most 1 MB).
//
// Key columns are COLLATE "C": capture ids, URL keys and hosts compare
// byte by byte, as in SQLite, whatever the database's locale.
const schemaV1 = `
CREATE EXTENSION IF NOT EXISTS unaccent;

DO $$
DECLARE
	r    record;
	dict text;
BEGIN
	FOR r IN SELECT c.cfgname FROM pg_ts_config c
		WHERE c.cfgnamespace = 'pg_catalog'::regnamespace ORDER BY c.cfgname
	LOOP
		SELECT d.dictname INTO dict
		FROM pg_ts_config_map m
		JOIN pg_ts_dict d ON d.oid = m.mapdict
		WHERE m.mapcfg = ('pg_catalog.' || quote_ident(r.cfgname))::regconfig
		  AND m.maptokentype = (SELECT tokid FROM ts_token_type('default') WHERE alias = 'word')
		ORDER BY m.mapseqno LIMIT 1;
		EXECUTE format('CREATE TEXT SEARCH CONFIGURATION %I (COPY = pg_catalog.%I)', 'archivist_' || r.cfgname, r.cfgname);
		EXECUTE format('ALTER TEXT SEARCH CONFIGURATION %I ALTER MAPPING FOR word, hword, hword_part WITH unaccent, %I',
			'archivist_' || r.cfgname, dict);
	END LOOP;
END
$$;

CREATE TABLE captures (
	id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	capture_id          text COLLATE "C" NOT NULL UNIQUE,
	url                 text NOT NULL,
	final_url           text NOT NULL,
	canonical_url       text NOT NULL,
	url_key             text COLLATE "C" NOT NULL,
	canonical_key       text COLLATE "C" NOT NULL,
	host                text COLLATE "C" NOT NULL,
	fetched_at          timestamptz NOT NULL,
	status              integer NOT NULL,
	content_type        text NOT NULL,
	page_type           text COLLATE "C" NOT NULL,
	title               text NOT NULL,
	authors             text[] NOT NULL,
	published           timestamptz,
	site_name           text NOT NULL,
	language            text COLLATE "C" NOT NULL,
	description         text NOT NULL,
	word_count          integer NOT NULL,
	text                text NOT NULL,
	payload_sha256      text COLLATE "C" NOT NULL,
	seed                text NOT NULL,
	run_id              text NOT NULL,
	warc_key            text NOT NULL,
	warc_sha256         text NOT NULL,
	warc_size           bigint NOT NULL,
	article_key         text NOT NULL,
	article_sha256      text NOT NULL,
	article_size        bigint NOT NULL,
	provenance_key      text NOT NULL,
	provenance_sha256   text NOT NULL,
	provenance_size     bigint NOT NULL,
	source              text COLLATE "C" NOT NULL,
	tags                text[] NOT NULL,
	kind                text NOT NULL,
	previous_capture_id text COLLATE "C" NOT NULL,
	extractor_version   text NOT NULL,
	paywalled           boolean NOT NULL,
	ts_config           regconfig NOT NULL,
	fts                 tsvector GENERATED ALWAYS AS (
		setweight(to_tsvector(ts_config, left(title, 10000)), 'A') ||
		setweight(to_tsvector(ts_config, left(text, 200000)), 'B')) STORED
);

-- capture_id closes every index so that List's ORDER BY fetched_at,
-- capture_id is read in index order.
CREATE INDEX captures_url_key ON captures (url_key, fetched_at, capture_id);
CREATE INDEX captures_canonical_key ON captures (canonical_key, fetched_at, capture_id);
CREATE INDEX captures_host ON captures (host, fetched_at, capture_id);
CREATE INDEX captures_fetched_at ON captures (fetched_at, capture_id);
CREATE INDEX captures_published ON captures (published);
CREATE INDEX captures_source ON captures (source, fetched_at, capture_id);
CREATE INDEX captures_tags ON captures USING gin (tags);
-- Archive-wide deduplication (FirstByPayload) seeks the first full
-- capture of a digest; revisits are never its answer.
CREATE INDEX captures_payload ON captures (payload_sha256, fetched_at, capture_id) WHERE kind = 'response';
CREATE INDEX captures_fts ON captures USING gin (fts);

CREATE TABLE catalog_ts_configs (
	config regconfig PRIMARY KEY
);

CREATE FUNCTION catalog_note_ts_config() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO catalog_ts_configs (config) VALUES (NEW.ts_config) ON CONFLICT DO NOTHING;
	RETURN NULL;
END
$$;

CREATE TRIGGER captures_ts_config AFTER INSERT OR UPDATE OF ts_config ON captures
	FOR EACH ROW EXECUTE FUNCTION catalog_note_ts_config();
`
