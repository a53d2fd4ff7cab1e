/*
 * pybossaNotify(message, show, type) for pbsync's preview: PYBOSSA's theme offers it to pages and
 * presenters for flash messages. Written for pbsync: one dismissible Bootstrap 3 alert at the top
 * of the page. `message` is HTML, as in PYBOSSA; `type` is info (default), success, warning,
 * danger, error (danger), message (warning) or loading (info); show=false hides the current one.
 */
function pybossaNotify(message, show, type) {
    "use strict";
    var kinds = {error: "danger", message: "warning", loading: "info"};
    var kind = kinds[type] || type || "info";
    $("#pybossa-notification").remove();
    if (show !== true) {
        return;
    }
    var close = $("<button type='button' class='close' aria-label='Close'>&times;</button>");
    var alert = $("<div id='pybossa-notification' role='alert'></div>")
        .addClass("alert alert-dismissible alert-" + kind)
        .append(close)
        .append($("<span/>").html(message));
    close.on("click", function () { alert.remove(); });
    $("body").prepend(alert);
}
