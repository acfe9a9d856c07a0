package scope

import (
	"net/url"
	"path"
	"strings"
)

// socialSites are networks whose pages are not news articles; links to them
// are profile, follow and share buttons. Subdomains are included.
var socialSites = []string{
	"facebook.com", "fb.com", "fb.me", "messenger.com",
	"twitter.com", "x.com", "t.co",
	"instagram.com", "threads.net", "tiktok.com",
	"youtube.com", "youtu.be",
	"linkedin.com", "lnkd.in",
	"pinterest.com", "pin.it",
	"reddit.com", "redd.it",
	"whatsapp.com", "wa.me",
	"t.me", "telegram.me", "telegram.org",
	"snapchat.com", "tumblr.com", "bsky.app", "mastodon.social",
	"vk.com", "weibo.com", "discord.com", "discord.gg", "twitch.tv",
}

// shareServices only exist to share or bookmark the current page.
var shareServices = []string{
	"addtoany.com", "addthis.com", "sharethis.com", "getpocket.com",
	"line.me", "flipboard.com",
}

// sharePaths mark share endpoints (facebook.com/sharer, twitter.com/intent,
// linkedin.com/shareArticle, reddit.com/submit, pinterest.com/pin/create,
// t.me/share, and the same on publisher sites), matched case-insensitively
// anywhere in the path.
var sharePaths = []string{
	"/sharer", "/share", "/intent/", "/sharearticle", "/submit", "/pin/create",
	"/send", "/dialog/share", "/dialog/feed",
}

// assetExtensions are files that are not web pages.
var assetExtensions = map[string]bool{
	".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".webp": true,
	".avif": true, ".svg": true, ".ico": true, ".bmp": true, ".tif": true,
	".tiff": true, ".heic": true,
	".pdf": true, ".doc": true, ".docx": true, ".xls": true, ".xlsx": true,
	".ppt": true, ".pptx": true, ".odt": true, ".epub": true, ".csv": true,
	".zip": true, ".gz": true, ".tgz": true, ".bz2": true, ".xz": true,
	".rar": true, ".7z": true, ".tar": true,
	".mp3": true, ".m4a": true, ".wav": true, ".ogg": true, ".flac": true,
	".aac": true, ".mp4": true, ".m4v": true, ".mov": true, ".avi": true,
	".wmv": true, ".webm": true, ".mkv": true, ".m3u8": true,
	".css": true, ".js": true, ".mjs": true, ".map": true, ".json": true,
	".woff": true, ".woff2": true, ".ttf": true, ".otf": true, ".eot": true,
	".exe": true, ".dmg": true, ".apk": true, ".iso": true, ".msi": true,
}

// accountSegments are path segments of login, signup, account and search
// pages: never articles, often endless (search results) or personalised.
var accountSegments = map[string]bool{
	"login": true, "log-in": true, "signin": true, "sign-in": true,
	"logout": true, "log-out": true, "signout": true, "sign-out": true,
	"register": true, "registration": true, "signup": true, "sign-up": true,
	"account": true, "my-account": true, "myaccount": true, "profile": true,
	"auth": true, "oauth": true, "sso": true, "password": true,
	"reset-password": true, "forgot-password": true,
	"search": true, "suche": true, "recherche": true, "buscar": true,
	"cart": true, "checkout": true,
	"wp-login.php": true, "wp-admin": true,
}

// DefaultExclusion returns why u is never crawled (share button, social
// network, asset, account or search page), or "" if none applies.
func DefaultExclusion(u *url.URL) string {
	host := strings.ToLower(u.Hostname())
	p := strings.ToLower(u.EscapedPath())
	switch {
	case matchesDomain(host, shareServices):
		return "share link"
	case matchesDomain(host, socialSites) && hasSharePath(p):
		return "share link"
	case matchesDomain(host, socialSites):
		return "social network"
	case hasSharePath(p) && strings.Contains(strings.ToLower(u.RawQuery), "url="):
		// Publisher-side share endpoints: /share?url=... on the news site.
		return "share link"
	}
	if ext := path.Ext(p); assetExtensions[ext] {
		return "not a page (" + ext + ")"
	}
	for seg := range strings.SplitSeq(p, "/") {
		if accountSegments[seg] {
			return "account or search page"
		}
	}
	return ""
}

func matchesDomain(host string, domains []string) bool {
	host = strings.TrimPrefix(host, "www.")
	for _, d := range domains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

func hasSharePath(p string) bool {
	for _, sp := range sharePaths {
		if strings.Contains(p, sp) {
			return true
		}
	}
	return false
}
