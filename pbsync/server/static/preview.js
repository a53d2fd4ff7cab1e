/*
 * pbsync preview: reload the page when the watched text (the task presenter or the tutorial)
 * changes on the server, whoever changed it, and show the watch's last sync error in a red banner.
 *
 * It polls GET /_pbsync/preview/<short_name>/state ({"presenter", "tutorial": sha256 hex,
 * "error": text or null}); pbsync/server/preview_live.py explains why polling, not
 * server-sent events. It needs neither jQuery nor the presenter: the page loads it in <head>
 * with `defer`, so a presenter that throws, or leaves a comment or a <script> unclosed, still
 * gets reloaded once it is fixed.
 */
(function () {
    "use strict";

    var VISIBLE_MS = 300;   // the reload follows a change within about this, well under a second
    var HIDDEN_MS = 2000;   // a background tab need not hurry
    var DOWN_MS = 1000;     // the server is restarting, or gone
    var BANNER_ID = "pbsync-preview-error";

    if (!window.fetch) {
        return;  // an old browser (or jsdom): no live reload, the page works as before
    }
    var me = document.currentScript;
    var stateUrl = me.getAttribute("data-state");
    var watched = me.getAttribute("data-watch") || "";
    var shown = me.getAttribute("data-hash") || "";
    var timer = null;

    function banner() {
        var el = document.getElementById(BANNER_ID);
        if (!el) {
            // the server renders it first in <body>; a presenter may still have removed it
            el = document.createElement("div");
            el.id = BANNER_ID;
            el.setAttribute("role", "alert");
            el.hidden = true;
            el.appendChild(document.createElement("strong")).textContent = "pbsync watch: ";
            el.appendChild(document.createElement("span")).className = BANNER_ID + "-text";
            document.body.insertBefore(el, document.body.firstChild);
        }
        return el;
    }

    function showError(error) {
        var el = banner();
        el.querySelector("." + BANNER_ID + "-text").textContent = error || "";
        el.hidden = !error;
    }

    function schedule(ms) {
        clearTimeout(timer);
        timer = setTimeout(poll, document.hidden ? Math.max(ms, HIDDEN_MS) : ms);
    }

    function apply(state) {
        if (watched && typeof state[watched] === "string" && state[watched] !== shown) {
            window.location.reload();
            return true;
        }
        showError(state.error);
        return false;
    }

    function poll() {
        fetch(stateUrl, {cache: "no-store", headers: {"Accept": "application/json"}})
            .then(function (resp) {
                // 404: the project is gone or renamed; keep looking, it may come back
                return resp.ok ? resp.json() : null;
            })
            .then(function (state) {
                if (!(state && apply(state))) {
                    schedule(VISIBLE_MS);
                }
            }, function () {
                schedule(DOWN_MS);
            });
    }

    document.addEventListener("visibilitychange", function () {
        if (!document.hidden) {
            schedule(0);
        }
    });
    schedule(0);
}());
