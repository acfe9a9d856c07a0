package sqlite

import (
	"strings"
	"unicode/utf8"
)

// commonWords are the words whose adjacent pairs are indexed as grams
// (see grams.go), folded (lower case, no diacritics): the function words
// and contraction fragments that fill news text in the languages the
// archive sees most, each found in a large share of all articles. A pair
// is indexed only when both of its words are here, which is about one
// word in seven of English news text; a phrase with any other word is
// found by positions, cheaply, because that word is rarer.
//
// Changing this list changes what is indexed: it needs a new gramsFunc
// name and a migration that rebuilds the full-text index.
var commonWords = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, list := range []string{
		// English: function words, the most frequent verbs, and the
		// fragments unicode61 makes of contractions (it's, don't, I'd,
		// we'll, they're, I've, I'm).
		`the of and to a in that is was he for it with as his on be at by i
		this had not are but from or have an they which one you were her all
		she there would their we him been has when who will more no if out so
		said what up its about into than them can only other new some could
		these two may then do first any my now such like our over me even
		most after also did many before must through where much your way
		should because each just those how too very still own here between
		both being under never same while last might us since against
		says told does were its do did get got how
		s t d ll re ve m don didn doesn isn wasn aren weren wouldn couldn
		shouldn won hasn haven hadn`,
		// German.
		`der die das und in zu den von mit sich des auf fur ist im dem nicht
		ein eine als auch es an werden aus er hat dass sie nach wird bei einer
		um am sind noch wie einem uber einen so zum war haben nur oder aber vor
		zur bis mehr durch man sein wurde sei`,
		// French.
		`le la les de des du un une et a en est que qui dans pour pas sur au
		avec il elle ce se ne plus par sont ont ete aux son sa ses mais ou
		nous vous ils leur cette comme l d qu n s j c`,
		// Spanish.
		`el la los las de del y en que a un una es por con no para se su al
		lo como mas pero sus le ha me si sin sobre este ya entre cuando todo
		esta ser son dos tambien fue habia muy`,
		// Italian.
		`il di che e la per un in non una del della i le si da al con sono
		alla gli ha piu ma come lo nel anche`,
		// Portuguese.
		`o a de que e do da em um para com nao uma os no se na por mais as
		dos como mas foi ao ele das tem seu sua ou ser quando muito ha nos ja
		esta tambem`,
		// Dutch.
		`de het een en van in is op te dat die voor met zijn niet aan er om
		ook als bij of uit maar dan nog wel naar heeft worden door`,
		// Russian.
		`и в не на что он с как а то все она так его но по к у же за из от о
		для это этот был была было были бы ли если уже или мы они`,
	} {
		for _, w := range strings.Fields(list) {
			m[w] = struct{}{}
		}
	}
	return m
}()

// commonASCII holds the common words of ASCII letters, each packed into
// a uint64 a byte a letter (isCommon's key); all have at most 8 letters.
var commonASCII = func() map[uint64]struct{} {
	m := map[uint64]struct{}{}
	for w := range commonWords {
		if len(w) > 8 || strings.ContainsFunc(w, func(r rune) bool { return r >= utf8.RuneSelf }) {
			continue
		}
		var key uint64
		for i := 0; i < len(w); i++ {
			key = key<<8 | uint64(w[i])
		}
		m[key] = struct{}{}
	}
	return m
}()

// maxCommonRunes is the length in characters of the longest common word.
var maxCommonRunes = func() int {
	n := 0
	for w := range commonWords {
		n = max(n, utf8.RuneCountInString(w))
	}
	return n
}()
