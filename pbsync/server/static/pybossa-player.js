/*
 * PybossaPlayer(url, elementId, audio) for pbsync's preview: a stand-in for PYBOSSA's
 * pybossa-player.js, written for pbsync. A media file plays in an HTML5 <audio> (audio=true) or
 * <video> element with the same methods; a YouTube, Vimeo or SoundCloud page is shown as a link
 * (their players come from the network, and the preview works offline), whose methods do nothing.
 */
(function (window, document) {
    "use strict";

    var WIDGET_HOSTS = /^https?:\/\/([a-z0-9-]+\.)*(youtube\.com|youtu\.be|vimeo\.com|soundcloud\.com)\//i;

    function safeUrl(url) {
        return /^(https?:\/\/|\/)/i.test(String(url)) ? String(url) : "";
    }

    function mediaPlayer(media) {
        function on(event, callback) { media.addEventListener(event, callback); }
        return {
            play: function () { var p = media.play(); if (p && p.catch) { p.catch(function () {}); } },
            pause: function () { media.pause(); },
            paused: function () { return media.paused; },
            duration: function () { return isNaN(media.duration) ? 0 : media.duration; },
            currentTime: function () { return media.currentTime; },
            setCurrentTime: function (time) { media.currentTime = time; },
            ended: function () { return media.ended; },
            volume: function () { return media.volume; },
            setVolume: function (volume) { media.volume = volume; },
            muted: function () { return media.muted; },
            mute: function () { media.muted = true; },
            unmute: function () { media.muted = false; },
            onReady: function (callback) {
                if (media.readyState >= 3) { callback(); } else { on("canplay", callback); }
            },
            onPlay: function (callback) { on("play", callback); },
            onPause: function (callback) { on("pause", callback); },
            onPlayTimeChange: function (callback) { on("timeupdate", callback); },
            onEnded: function (callback) { on("ended", callback); }
        };
    }

    function linkPlayer() {
        function nothing() {}
        function zero() { return 0; }
        return {
            play: nothing, pause: nothing, paused: function () { return true; },
            duration: zero, currentTime: zero, setCurrentTime: nothing,
            ended: function () { return false; }, volume: zero, setVolume: nothing,
            muted: function () { return false; }, mute: nothing, unmute: nothing,
            onReady: function (callback) { callback(); }, onPlay: nothing, onPause: nothing,
            onPlayTimeChange: nothing, onEnded: nothing
        };
    }

    window.PybossaPlayer = function (url, elementId, audio) {
        var target = document.getElementById(elementId);
        var href = safeUrl(url);
        var box = document.createElement("div");
        var player, media;
        box.className = "pybossa-player";
        if (href && !WIDGET_HOSTS.test(href)) {
            media = document.createElement(audio ? "audio" : "video");
            media.controls = true;
            media.src = href;
            media.style.maxWidth = "100%";
            box.appendChild(media);
            player = mediaPlayer(media);
        } else {
            var link = document.createElement("a");
            link.href = href || "#";
            link.target = "_blank";
            link.rel = "noopener noreferrer";
            link.textContent = String(url);
            box.appendChild(document.createTextNode("Media (no online player in the preview): "));
            box.appendChild(link);
            player = linkPlayer();
        }
        if (target) {
            target.appendChild(box);
        }
        player.destroy = function () {
            if (media) {
                media.pause();
            }
            if (box.parentNode) {
                box.parentNode.removeChild(box);
            }
        };
        return player;
    };
}(window, document));
