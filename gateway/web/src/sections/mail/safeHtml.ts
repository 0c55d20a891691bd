// Mail HTML comes from strangers. It is shown in an iframe with an empty sandbox (no
// scripts, no same origin, no forms), after the active parts are removed here too, and
// under a Content-Security-Policy that loads nothing from the network (no tracking
// pixels): what it embeds inline (data: images, styles) still shows.
const DROPPED = "script,iframe,frame,frameset,object,embed,applet,form,base,meta,link,noscript,template";
const POLICY = "default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; font-src data:";

// Inside a tag, an attribute named on…: the browser checks an event handler against the
// app's Content-Security-Policy as soon as it is parsed, even in a document that never
// runs it, and reports each one as a violation. They are renamed before parsing; the
// DOM pass below still removes any the pattern misses (a tag with ">" in a quoted value).
const TAG = /<[a-zA-Z][^>]*>/g;
const HANDLER = /([\s/"'])on([a-zA-Z]+\s*=)/gi;

export function disarmHandlers(html: string): string {
  return html.replace(TAG, (tag) => tag.replace(HANDLER, "$1data-dropped-on$2"));
}

export function sanitizeMailHtml(html: string): string {
  const doc = new DOMParser().parseFromString(disarmHandlers(html), "text/html");
  doc.querySelectorAll(DROPPED).forEach((element) => element.remove());
  doc.querySelectorAll("*").forEach((element) => {
    for (const attribute of Array.from(element.attributes)) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value.trim().toLowerCase();
      if (name.startsWith("on") || name.startsWith("data-dropped-on") || name === "srcdoc" || name === "formaction" || name === "srcset") element.removeAttribute(attribute.name);
      // a remote image is a read receipt: it is not even asked for
      else if ((name === "src" || name === "background") && !/^(data:image\/|cid:)/.test(value)) element.removeAttribute(attribute.name);
      else if (["href", "src", "action", "xlink:href", "background"].includes(name) && /^(javascript|vbscript|data:text\/html)/.test(value.replace(/\s/g, ""))) {
        element.removeAttribute(attribute.name);
      }
    }
  });
  return doc.body ? doc.body.innerHTML : "";
}

/** The iframe's whole document: the policy, links opening outside, the cleaned body. */
export function mailFrameDocument(html: string): string {
  return (
    `<!doctype html><html><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="${POLICY}">` +
    `<base target="_blank"><style>body{font:14px/1.5 system-ui,sans-serif;margin:12px;color:#1f2328;background:#fff;word-wrap:break-word}img{max-width:100%;height:auto}</style>` +
    `</head><body>${sanitizeMailHtml(html)}</body></html>`
  );
}
