/*
 * pybossa.js for pbsync's preview: `window.pybossa`, the library a PYBOSSA task presenter calls.
 *
 * Written for pbsync from the behaviour PYBOSSA's own library has (it is not a copy of it): the
 * same functions, the same requests, jQuery Deferreds throughout, so that a presenter runs here as
 * it runs on a PYBOSSA server.
 *
 *   pybossa.taskLoaded(fn(task, deferred))   prepare a task (e.g. preload its image), then
 *                                            deferred.resolve(task)
 *   pybossa.presentTask(fn(task, deferred))  show a task; deferred.resolve() once it is answered.
 *                                            An empty object {} means no task is left.
 *   pybossa.run(short_name)                  GET api/project?short_name=, then the task loop
 *   pybossa.saveTask(task_id or task, answer) POST api/taskrun -> a promise of the task run
 *   pybossa.newTask(short_name)              -> a promise of {question: description, task}
 *   pybossa.userProgress(short_name)         -> a promise of {done, total}
 *   pybossa.getCurrentTaskId([url])          the id in ".../task/<id>", or false
 *   pybossa.setEndpoint(url)                 for a server under a path prefix
 */
(function (pybossa, $) {
    "use strict";

    var endpoint = "/";

    // what a presenter that registers nothing gets: the task passes straight on
    var onTaskLoaded = function (task, deferred) { deferred.resolve(task); };
    var onPresentTask = function (task, deferred) { deferred.resolve(task); };

    function problem(message) {
        if (window.console) {
            window.console.error("pybossa.js: " + message);
        }
        if (typeof window.pybossaNotify === "function") {
            window.pybossaNotify($("<span/>").text(message).html(), true, "error");
        }
    }

    // cache: false (jQuery adds `_=<timestamp>`), as PYBOSSA's library has it for every read but
    // the project list: newtask must never come from a cache, and a list refuses unknown arguments
    function getJSON(path, data, cache) {
        return $.ajax({url: endpoint + path, data: data, dataType: "json", cache: cache === true});
    }

    function fetchTask(taskId) {
        return getJSON("api/task/" + encodeURIComponent(taskId));
    }

    function fetchNewTask(projectId, offset) {
        return getJSON("api/project/" + projectId + "/newtask", {offset: offset || 0});
    }

    // Resolves with the project, or with undefined when there is none of that name.
    function fetchProject(shortName) {
        var found = $.Deferred();
        // all=1 lets a signed-in owner find their own draft. An anonymous list shows published
        // projects only, so on pbsync's local server a draft comes from the preview's own route
        // (a real PYBOSSA answers it 404: the same "no project" as before).
        getJSON("api/project", {all: 1, short_name: shortName}, true).then(function (rows) {
            if (rows && rows.length) {
                found.resolve(rows[0]);
                return;
            }
            getJSON("_pbsync/preview/" + encodeURIComponent(shortName) + "/project")
                .done(function (project) { found.resolve(project); })
                .fail(function () { found.resolve(undefined); });
        }, function (xhr) {
            found.reject(xhr);
        });
        return found.promise();
    }

    function currentTaskId(url) {
        var parts = String(url).split(/[?#]/)[0].split("/");
        for (var i = 0; i < parts.length - 1; i++) {
            if (parts[i] === "task" && parts[i + 1] !== "") {
                return parts[i + 1];
            }
        }
        return false;
    }

    // The presenter's taskLoaded callback says when a task is ready to show.
    function loaded(task) {
        var ready = $.Deferred();
        var theirs = $.Deferred();
        theirs.done(function (prepared) {
            // a callback that resolves without arguments still hands the task on
            ready.resolve(arguments.length ? prepared : task);
        });
        onTaskLoaded(task, theirs);
        return ready.promise();
    }

    function taskUrl(shortName, task) {
        return endpoint + "project/" + encodeURIComponent(shortName) + "/task/" + task.id;
    }

    function startLoop(shortName, project, win) {
        // the first task comes from the page's URL (.../task/<id>) if it names one; every later
        // one from newtask, whose offset skips the task still on screen (it is not answered yet)
        function next(offset, previous) {
            var taskId = currentTaskId(win.location.pathname);
            var first = previous === undefined;
            var request = taskId && first ? fetchTask(taskId) : fetchNewTask(project.id, offset);
            return request.then(function (task) {
                if (previous && task && task.id !== undefined && task.id === previous.id) {
                    return fetchNewTask(project.id, offset + 1).then(loaded);
                }
                return loaded(task);
            }, function (xhr) {
                problem("could not get a task (HTTP " + xhr.status + ")");
            });
        }

        function loop(task) {
            var nextLoaded = next(1, task);
            var solved = $.Deferred();
            if (task && task.id !== undefined && window.history && window.history.pushState) {
                window.history.pushState({}, "", taskUrl(shortName, task));
            }
            onPresentTask(task, solved);
            $.when(nextLoaded, solved).done(loop);
        }

        next(0, undefined).done(loop);
    }

    pybossa.taskLoaded = function (fn) {
        onTaskLoaded = fn;
    };

    pybossa.presentTask = function (fn) {
        onPresentTask = fn;
    };

    pybossa.run = function (shortName, win) {
        win = win || window;
        return fetchProject(shortName).done(function (project) {
            if (!project) {
                problem("no project named '" + shortName + "': check pybossa.run('short_name')");
                return;
            }
            startLoop(shortName, project, win);
        }).fail(function (xhr) {
            problem("could not get the project '" + shortName + "' (HTTP " + xhr.status + ")");
        });
    };

    pybossa.saveTask = function (task, answer) {
        var got;
        if (task !== null && typeof task === "object") {
            got = $.Deferred().resolve(task).promise();
        } else {
            got = fetchTask(task);
        }
        return got.then(function (full) {
            full.answer = answer;
            var taskrun = {project_id: full.project_id, task_id: full.id, info: answer};
            return $.ajax({
                type: "POST",
                url: endpoint + "api/taskrun",
                contentType: "application/json",
                dataType: "json",
                data: JSON.stringify(taskrun)
            });
        });
    };

    pybossa.newTask = function (shortName) {
        return fetchProject(shortName).then(function (project) {
            if (!project) {
                return $.Deferred().reject().promise();
            }
            return fetchNewTask(project.id, 0).then(function (task) {
                return {question: project.description, task: task};
            });
        });
    };

    pybossa.userProgress = function (shortName) {
        return getJSON("api/project/" + encodeURIComponent(shortName) + "/userprogress");
    };

    pybossa.getCurrentTaskId = function (url) {
        return currentTaskId(url === undefined ? window.location.pathname : url);
    };

    pybossa.setEndpoint = function (url) {
        endpoint = url.charAt(url.length - 1) === "/" ? url : url + "/";
        return endpoint;
    };
}(window.pybossa = window.pybossa || {}, jQuery));
