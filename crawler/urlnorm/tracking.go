package urlnorm

import (
	"slices"
	"strings"
)

// trackingParams are query parameters that only identify a campaign, click,
// share or mailing and never change the page served. Keys are compared
// lower-cased and percent-decoded. Parameters starting with "utm_" are
// removed as well (see isTrackingParam).
//
//   - Google Analytics / Ads: utm_* (any), _ga, _gl, gclid, gclsrc, dclid, gbraid, wbraid
//   - Microsoft / Yandex / Meta / others: msclkid, yclid, fbclid, igshid, igsh,
//     twclid, ttclid, li_fat_id, rb_clickid, wickedid
//   - Facebook share actions: fb_action_ids, fb_action_types, fb_source, fb_ref,
//     action_object_map, action_type_map, action_ref_map
//   - Mailchimp / HubSpot / Marketo / Vero / Omeda: mc_cid, mc_eid, _hsenc,
//     _hsmi, __hstc, __hssc, __hsfp, hsctatracking, mkt_tok, vero_id,
//     vero_conv, oly_anon_id, oly_enc_id
//   - Twitter embeds: ref_src, ref_url, __twitter_impression
//   - Publisher share/campaign ids: cmpid, ocid, icid, xtor, smid, smtyp,
//     at_medium, at_campaign, s_cid, sr_share, soc_src, soc_trk
//   - comScore: ns_source, ns_mchannel, ns_campaign, ns_linkname, ns_fee
var trackingParams = []string{
	"_ga", "_gl", "gclid", "gclsrc", "dclid", "gbraid",
	"wbraid", "msclkid", "yclid", "fbclid", "igshid", "igsh",
	"twclid", "ttclid", "li_fat_id", "rb_clickid", "wickedid", "fb_action_ids",
	"fb_action_types", "fb_source", "fb_ref", "action_object_map", "action_type_map", "action_ref_map",
	"mc_cid", "mc_eid", "_hsenc", "_hsmi", "__hstc", "__hssc",
	"__hsfp", "hsctatracking", "mkt_tok", "vero_id", "vero_conv", "oly_anon_id",
	"oly_enc_id", "ref_src", "ref_url", "__twitter_impression", "cmpid", "ocid",
	"icid", "xtor", "smid", "smtyp", "at_medium", "at_campaign",
	"s_cid", "sr_share", "soc_src", "soc_trk", "ns_source", "ns_mchannel",
	"ns_campaign", "ns_linkname", "ns_fee",
}

// TrackingParams returns the exact parameter names Normalize removes, in
// no particular order; every parameter starting with "utm_" is removed too.
func TrackingParams() []string {
	return slices.Clone(trackingParams)
}

// isTrackingParam reports whether a decoded query key is a tracking
// parameter.
func isTrackingParam(key string) bool {
	key = strings.ToLower(key)
	return strings.HasPrefix(key, "utm_") || slices.Contains(trackingParams, key)
}
