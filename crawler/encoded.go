package crawler

import "net/http"

// keepEncoded is the transport colly sees: it marks every response as
// already decoded, so that colly does not inflate gzip bodies. Colly
// gunzips a body with Content-Encoding gzip into memory with no limit of
// its own, so a body cut at max_body_bytes could still inflate to
// gigabytes (a compression bomb). The crawler never reads colly's copy of
// a body: it works from what the recording transport recorded, exactly as
// transferred, and undoes encodings only where it reads them, with
// limits (capture.DecodeBody, discover.Decode). For the same reason colly
// gets an empty body: its copy of every page would only be garbage.
type keepEncoded struct{ http.RoundTripper }

func (k keepEncoded) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := k.RoundTripper.RoundTrip(req)
	if resp != nil {
		resp.Uncompressed = true
		if resp.Body != nil {
			_ = resp.Body.Close()
		}
		resp.Body = http.NoBody
		resp.ContentLength = 0
	}
	return resp, err
}
