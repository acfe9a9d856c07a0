package sqlite

import (
	"fmt"
	"math"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// rankFunc is the FTS5 auxiliary function Search ranks with:
//
//	archivist_bm25(captures_fts, w_1, ..., w_C, idf_1, ..., idf_P)
//
// It is FTS5's own bm25() (same k1 and b, same formula, the same column
// weights w) except that each phrase's IDF is an argument instead of being
// counted. bm25() counts, on its first row, every capture in the whole
// index that holds each phrase of the query: about 0.18 µs a capture, so
// 90 ms for a word found in half of a million captures, paid by every
// search before it ranks a single match, and for a phrase a check of its
// positions in every capture holding all its words. Search instead counts
// each phrase in the newest captures (see idfSample), which costs the
// same on a catalog of any size.
const rankFunc = "archivist_bm25"

// BM25's parameters, as FTS5's bm25() fixes them.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// idf is BM25's inverse document frequency of a phrase found in df of n
// documents, as FTS5's bm25() computes it: a phrase in more than half of
// them would weigh less than nothing, so it weighs almost nothing.
func idf(df, n int64) float64 {
	v := math.Log((float64(n-df) + 0.5) / (float64(df) + 0.5))
	if v <= 0 {
		return 1e-6
	}
	return v
}

// The registration goes through modernc's C API (modernc.org/sqlite/lib):
// the database/sql driver has no call for FTS5 auxiliary functions. C
// pointers are uintptr values there and C function pointers are Go func
// values seen through a pointer, see cFunc.
func init() {
	// An auto extension runs on every connection the process opens, as the
	// driver's registered SQL functions (grams) do.
	tls := libc.NewTLS()
	defer tls.Close()
	if rc := sqlite3.Xsqlite3_auto_extension(tls, cFunc(registerRank)); rc != sqlite3.SQLITE_OK {
		panic(fmt.Sprintf("register SQLite function %s: error code %d", rankFunc, rc))
	}
}

// registerRank is the auto extension: it adds rankFunc to FTS5 on a new
// connection.
func registerRank(tls *libc.TLS, db, _, _ uintptr) int32 {
	api, rc := fts5API(tls, db)
	if rc != sqlite3.SQLITE_OK {
		return rc
	}
	create := *(*func(tls *libc.TLS, api, name, userData, fn, destroy uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{ptr[sqlite3.Tfts5_api](api).FxCreateFunction}))
	return create(tls, api, cString(rankFunc+"\x00"), 0, cFunc(rankBM25), 0)
}

// fts5API returns the connection's fts5_api, which FTS5 hands out through
// a pointer bound to SELECT fts5(?1).
func fts5API(tls *libc.TLS, db uintptr) (uintptr, int32) {
	const word = unsafe.Sizeof(uintptr(0))
	frame := tls.Alloc(2 * int(word))
	defer tls.Free(2 * int(word))
	stmtOut, apiOut := frame, frame+word
	store(stmtOut, uintptr(0))
	store(apiOut, uintptr(0))
	rc := sqlite3.Xsqlite3_prepare_v2(tls, db, cString("SELECT fts5(?1)\x00"), -1, stmtOut, 0)
	if rc != sqlite3.SQLITE_OK {
		return 0, rc
	}
	stmt := load[uintptr](stmtOut)
	rc = sqlite3.Xsqlite3_bind_pointer(tls, stmt, 1, apiOut, cString("fts5_api_ptr\x00"), 0)
	if rc == sqlite3.SQLITE_OK {
		if rc = sqlite3.Xsqlite3_step(tls, stmt); rc == sqlite3.SQLITE_ROW {
			rc = sqlite3.SQLITE_OK
		}
	}
	if frc := sqlite3.Xsqlite3_finalize(tls, stmt); rc == sqlite3.SQLITE_OK {
		rc = frc
	}
	api := load[uintptr](apiOut)
	if rc == sqlite3.SQLITE_OK && api == 0 {
		rc = sqlite3.SQLITE_ERROR // no FTS5 in this build
	}
	return api, rc
}

// maxStackPhrases is how many phrases a row's frequencies are counted for
// without allocating.
const maxStackPhrases = 16

// maxColumns bounds the columns of a table rankFunc ranks.
const maxColumns = 16

// rankBM25 is rankFunc, called by FTS5 for each row it ranks, with its
// extension API, the row's context and the arguments after the table:
// a weight per column, then an IDF per phrase of the query, in the order
// the phrases appear in it. Lower is better, as with bm25().
func rankBM25(tls *libc.TLS, pAPI, fts, ctx uintptr, nArgs int32, args uintptr) {
	api := ptr[sqlite3.TFts5ExtensionApi](pAPI)
	columns := int(callInt(tls, api.FxColumnCount, fts))
	phrases := int(callInt(tls, api.FxPhraseCount, fts))
	if int(nArgs) != columns+phrases {
		resultError(tls, ctx, fmt.Sprintf("%s: the query has %d columns and %d phrases, so it takes %d weights and IDFs, not %d",
			rankFunc, columns, phrases, columns+phrases, nArgs))
		return
	}
	if columns > maxColumns || columns < 0 {
		resultError(tls, ctx, fmt.Sprintf("%s: %d columns, at most %d", rankFunc, columns, maxColumns))
		return
	}
	arg := func(i int) float64 {
		return sqlite3.Xsqlite3_value_double(tls, load[uintptr](args+uintptr(i)*unsafe.Sizeof(uintptr(0))))
	}
	var weights [maxColumns]float64
	for i := range columns {
		weights[i] = arg(i)
	}

	// Out-parameters must be C memory: a Go stack moves.
	const frameSize = 16
	out := tls.Alloc(frameSize)
	defer tls.Free(frameSize)
	var instCount, docTokens int32
	avgdl, rc := averageLength(tls, api, fts, out)
	if rc == sqlite3.SQLITE_OK {
		rc = callOut(tls, api.FxInstCount, fts, out)
		instCount = load[int32](out)
	}
	var stack [maxStackPhrases]float64
	freq := stack[:min(phrases, maxStackPhrases)]
	if phrases > maxStackPhrases {
		freq = make([]float64, phrases)
	}
	// A phrase's frequency in the row is its hits weighted by column.
	xInst := *(*func(tls *libc.TLS, fts uintptr, i int32, phrase, column, offset uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{api.FxInst}))
	for i := int32(0); rc == sqlite3.SQLITE_OK && i < instCount; i++ {
		if rc = xInst(tls, fts, i, out, out+4, out+8); rc == sqlite3.SQLITE_OK {
			phrase, column := int(load[int32](out)), int(load[int32](out+4))
			if phrase >= 0 && phrase < phrases && column >= 0 && column < columns {
				freq[phrase] += weights[column]
			}
		}
	}
	if rc == sqlite3.SQLITE_OK {
		rc = call(tls, api.FxColumnSize, fts, -1, out)
		docTokens = load[int32](out)
	}
	if rc != sqlite3.SQLITE_OK {
		sqlite3.Xsqlite3_result_error_code(tls, ctx, rc)
		return
	}
	lengthNorm := bm25K1 * (1 - bm25B + bm25B*float64(docTokens)/avgdl)
	score := 0.0
	for i, f := range freq {
		score += arg(columns+i) * (f * (bm25K1 + 1)) / (f + lengthNorm)
	}
	sqlite3.Xsqlite3_result_double(tls, ctx, -score)
}

// averageLength returns the table's average document length in tokens,
// which BM25 compares each row's length to. FTS5 reads the table's totals
// from its index on every call, so the value is computed on the query's
// first row and kept with the query (auxiliary data, which FTS5 frees
// with the cursor), as bm25() keeps its own. out is 8 bytes of C memory
// to use.
func averageLength(tls *libc.TLS, api *sqlite3.TFts5ExtensionApi, fts, out uintptr) (float64, int32) {
	getAux := *(*func(tls *libc.TLS, fts uintptr, clear int32) uintptr)(unsafe.Pointer(&struct{ uintptr }{api.FxGetAuxdata}))
	if p := getAux(tls, fts, 0); p != 0 {
		return load[float64](p), sqlite3.SQLITE_OK
	}
	rc := callOut(tls, api.FxRowCount, fts, out)
	rows := load[int64](out)
	if rc != sqlite3.SQLITE_OK {
		return 0, rc
	}
	if rc = call(tls, api.FxColumnTotalSize, fts, -1, out); rc != sqlite3.SQLITE_OK {
		return 0, rc
	}
	avgdl := 1.0
	if tokens := load[int64](out); rows > 0 && tokens > 0 {
		avgdl = float64(tokens) / float64(rows)
	}
	p := sqlite3.Xsqlite3_malloc(tls, int32(unsafe.Sizeof(avgdl)))
	if p == 0 {
		return 0, sqlite3.SQLITE_NOMEM
	}
	store(p, avgdl)
	setAux := *(*func(tls *libc.TLS, fts, aux, free uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{api.FxSetAuxdata}))
	// On failure FTS5 frees p itself.
	return avgdl, setAux(tls, fts, p, cFunc(sqlite3.Xsqlite3_free))
}

// call calls an extension API method of the shape
// int (*)(Fts5Context*, int, T*).
func call(tls *libc.TLS, fn, fts uintptr, i int32, out uintptr) int32 {
	return (*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{fn})))(tls, fts, i, out)
}

// callOut calls an extension API method of the shape
// int (*)(Fts5Context*, T*).
func callOut(tls *libc.TLS, fn, fts, out uintptr) int32 {
	return (*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{fn})))(tls, fts, out)
}

// callInt calls an extension API method of the shape int (*)(Fts5Context*).
func callInt(tls *libc.TLS, fn, fts uintptr) int32 {
	return (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{fn})))(tls, fts)
}

// resultError makes msg the error of the SQL function call ctx.
func resultError(tls *libc.TLS, ctx uintptr, msg string) {
	p, err := libc.CString(msg)
	if err != nil {
		sqlite3.Xsqlite3_result_error_nomem(tls, ctx)
		return
	}
	defer libc.Xfree(tls, p)
	sqlite3.Xsqlite3_result_error(tls, ctx, p, -1) // SQLite copies it
}

// cFunc returns the C function pointer of a Go function, as modernc's
// translated C represents it: the Go func value's own word.
func cFunc[T any](f T) uintptr {
	return *(*uintptr)(unsafe.Pointer(&struct{ f T }{f}))
}

// cString returns the address of s, which must end in NUL and live as
// long as C reads it (the literals here live as long as the program).
func cString(s string) uintptr {
	return uintptr(unsafe.Pointer(unsafe.StringData(s)))
}

// load reads a T at the C address p. It reinterprets the variable p rather
// than converting p to a pointer, which vet (rightly, for Go memory)
// flags; C memory does not move.
func load[T any](p uintptr) T {
	return **(**T)(unsafe.Pointer(&p))
}

// ptr returns the C address p as a pointer to T.
func ptr[T any](p uintptr) *T {
	return *(**T)(unsafe.Pointer(&p))
}

// store writes v at the C address p.
func store[T any](p uintptr, v T) {
	**(**T)(unsafe.Pointer(&p)) = v
}
