import HTTPTypes
import Hummingbird
import NIOCore

/// The stylesheet and the one script, compiled into the binary (no CDN, no build step).
enum Assets {
    static func response(_ name: String) -> Response {
        let (type, text): (String, String)
        switch name {
        case "console.css": (type, text) = ("text/css; charset=utf-8", css)
        case "console.js": (type, text) = ("text/javascript; charset=utf-8", script)
        default: return Response(status: .notFound)
        }
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "public, max-age=300"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static let css = """
        :root{--fg:#1b2330;--muted:#5b6675;--line:#d9dee5;--bg:#f6f8fa;--card:#fff;--accent:#0b6bcb;--danger:#b42318;--ok:#067647}
        *{box-sizing:border-box}
        body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
        a{color:var(--accent)}
        a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #7cb4ff;outline-offset:1px}
        .skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px 8px;z-index:2}
        .sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
        header.top{display:flex;flex-wrap:wrap;align-items:center;gap:12px;padding:8px 16px;background:#10233f;color:#fff}
        header.top a{color:#fff;text-decoration:none}
        .brand{font-weight:700;font-size:18px;margin-right:8px}
        header nav ul{display:flex;flex-wrap:wrap;gap:4px;list-style:none;margin:0;padding:0}
        header nav a{padding:6px 10px;border-radius:6px;display:inline-block}
        header nav a[aria-current=page],header nav a:hover{background:#24416b}
        .signout{margin-left:auto;display:flex;align-items:center;gap:8px}
        .who{opacity:.85}
        main{max-width:1100px;margin:0 auto;padding:16px}
        main.wide{max-width:1400px}
        h1{font-size:24px;margin:8px 0 12px;word-break:break-all}
        h2{font-size:17px;margin:0 0 8px}
        .card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px;margin:0 0 14px}
        .card.narrow{max-width:420px}
        .card.danger{border-color:#f3b8b2}
        form.inline,.inline{display:inline-flex;flex-wrap:wrap;align-items:center;gap:8px;margin:0 0 10px}
        label{font-weight:600;display:block;margin:6px 0 4px}
        .inline label{display:inline;margin:0}
        label.check{font-weight:400;display:inline-flex;gap:4px;align-items:center}
        input,select,textarea{font:inherit;padding:6px 8px;border:1px solid #b8c0cc;border-radius:6px;background:#fff;max-width:100%}
        textarea{width:100%}
        .code,code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px}
        pre{white-space:pre-wrap;word-break:break-all;background:var(--bg);padding:8px;border-radius:6px;max-height:480px;overflow:auto}
        input.wide{width:100%}
        button,.button{font:inherit;padding:6px 12px;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
        button.danger{background:var(--danger);border-color:var(--danger)}
        .signout button{background:transparent;border-color:#8aa2c4}
        table.list{width:100%;border-collapse:collapse;background:var(--card);border:1px solid var(--line);border-radius:8px}
        table.list th,table.list td{padding:7px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top;word-break:break-word}
        table.list th{background:#eef1f5;font-weight:600}
        .num{text-align:right!important;white-space:nowrap}
        tr.folder a::before{content:"\\1F4C1  "}
        .actions form{margin:0 4px 0 0}
        .crumbs{color:var(--muted);margin:4px 0;word-break:break-all}
        .bar{display:flex;flex-wrap:wrap;align-items:center;gap:10px;margin-bottom:10px}
        .bar h1{margin-right:auto}
        .flash{padding:10px 12px;border-radius:6px;background:#e7f6ec;color:var(--ok);border:1px solid #abefc6}
        .flash.error{background:#fef3f2;color:var(--danger);border-color:#fecdca}
        .hint{color:var(--muted)}
        .pages{margin:12px 0;display:flex;gap:16px}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:0}
        dt{font-weight:600}dd{margin:0;word-break:break-all}
        ul.tiles,ul.list,nav.crumbs ol{list-style:none;padding:0;margin:0 0 14px}
        ul.list{background:var(--card);border:1px solid var(--line);border-radius:8px}
        ul.list li{padding:7px 10px;border-bottom:1px solid var(--line)}
        ul.list li:last-child{border-bottom:0}
        nav.crumbs ol{display:flex;flex-wrap:wrap;gap:4px;margin:4px 0}
        nav.crumbs ol li+li::before{content:"/ ";color:var(--muted)}
        fieldset{border:1px solid var(--line);border-radius:6px;padding:6px 10px;margin:6px 0;display:inline-flex;flex-wrap:wrap;gap:6px 12px;align-items:center}
        legend{font-weight:600;padding:0 4px}
        dl.facts{margin:0 0 14px}
        main>h2,main>section>h2{margin-top:18px}
        .bar form.inline{margin:0}
        .tile-label{color:var(--muted);display:block}.tile-value{display:block;font-size:20px;font-weight:700}
        .tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:10px;margin-bottom:14px}
        .tile{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px}
        .tile strong{display:block;font-size:20px}
        img.preview{max-width:100%;max-height:480px}
        svg text{font:12px system-ui,sans-serif;fill:#1b2330}
        svg.chart{max-width:100%;height:auto}
        svg .bar{fill:#0b6bcb}
        .indent-1{padding-left:22px!important}.indent-2{padding-left:40px!important}.indent-3{padding-left:58px!important}.indent-4{padding-left:76px!important}
        @media (max-width:640px){
          header.top{padding:8px}.signout{margin-left:0;width:100%}
          main{padding:10px}
          table.list{display:block;overflow-x:auto}
          .opt{display:none}
          select[multiple]{width:100%}
          dl{grid-template-columns:1fr}
        }
        """

    /// Progressive enhancement only: confirmations, uploads in parts with progress and retries,
    /// drag and drop. Every page works without it.
    static let script = #"""
        "use strict";
        (function () {
          var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
          document.querySelectorAll("form[data-confirm]").forEach(function (form) {
            form.addEventListener("submit", function (event) {
              if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
            });
          });
          document.querySelectorAll("textarea[data-json]").forEach(function (area) {
            area.form.addEventListener("submit", function (event) {
              if (area.value.trim() === "") return;
              try { JSON.parse(area.value); area.setCustomValidity(""); }
              catch (e) { area.setCustomValidity("Not valid JSON: " + e.message); area.reportValidity(); event.preventDefault(); }
            });
            area.addEventListener("input", function () { area.setCustomValidity(""); });
          });
          var form = document.getElementById("upload-form");
          if (!form || !window.fetch || !window.XMLHttpRequest) return;
          var input = document.getElementById("upload-files");
          var bar = document.getElementById("upload-progress");
          var status = document.getElementById("upload-status");
          var partSize = 8 * 1024 * 1024;
          var base = "/buckets/" + encodeURIComponent(form.dataset.bucket) + "/uploads/";
          function q(params) {
            return "?" + Object.keys(params).map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
          }
          function post(step, params, body) {
            return fetch(base + step + q(params), { method: "POST", headers: { "X-CSRF-Token": csrf }, body: body, credentials: "same-origin" })
              .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || r.statusText); return j; }); });
          }
          function sendPart(params, blob, onProgress) {
            return new Promise(function (resolve, reject) {
              var xhr = new XMLHttpRequest();
              xhr.open("POST", base + "part" + q(params));
              xhr.setRequestHeader("X-CSRF-Token", csrf);
              xhr.upload.onprogress = function (e) { onProgress(e.loaded); };
              xhr.onload = function () {
                var j = {}; try { j = JSON.parse(xhr.responseText); } catch (e) {}
                if (xhr.status === 200 && j.etag) resolve(j.etag); else reject(new Error(j.error || ("HTTP " + xhr.status)));
              };
              xhr.onerror = function () { reject(new Error("network error")); };
              xhr.send(blob);
            });
          }
          function uploadFile(file, done, total) {
            var key = (form.dataset.prefix || "") + file.name;
            return post("start", { key: key, type: file.type || "" }).then(function (started) {
              var id = started.uploadId, parts = [], count = Math.max(1, Math.ceil(file.size / partSize));
              function next(n) {
                if (n > count) {
                  return post("complete", { key: key, uploadId: id }, JSON.stringify({ parts: parts }));
                }
                var blob = file.slice((n - 1) * partSize, Math.min(file.size, n * partSize));
                function attempt(left) {
                  return sendPart({ key: key, uploadId: id, partNumber: n }, blob, function (loaded) {
                    var sent = done + (n - 1) * partSize + loaded;
                    bar.value = total ? Math.min(100, 100 * sent / total) : 100;
                  }).catch(function (error) {
                    if (left <= 0) throw error;
                    status.textContent = "Part " + n + " failed (" + error.message + "), sending it again…";
                    return new Promise(function (r) { setTimeout(r, 1000); }).then(function () { return attempt(left - 1); });
                  });
                }
                return attempt(3).then(function (etag) { parts.push({ partNumber: n, etag: etag }); return next(n + 1); });
              }
              return next(1).catch(function (error) {
                post("abort", { key: key, uploadId: id }).catch(function () {});
                throw error;
              });
            });
          }
          form.addEventListener("submit", function (event) {
            if (!input.files.length) return;
            event.preventDefault();
            var files = Array.prototype.slice.call(input.files);
            var total = files.reduce(function (s, f) { return s + f.size; }, 0), done = 0;
            bar.hidden = false; bar.value = 0;
            form.querySelector("button[type=submit]").disabled = true;
            var chain = Promise.resolve();
            files.forEach(function (file) {
              chain = chain.then(function () {
                status.textContent = "Uploading " + file.name + "…";
                return uploadFile(file, done, total).then(function () { done += file.size; });
              });
            });
            chain.then(function () {
              status.textContent = "Uploaded " + files.length + " file(s).";
              window.location.reload();
            }).catch(function (error) {
              status.textContent = "Upload failed: " + error.message;
              form.querySelector("button[type=submit]").disabled = false;
            });
          });
          ["dragover", "drop"].forEach(function (type) {
            form.addEventListener(type, function (event) {
              event.preventDefault();
              if (type === "drop" && event.dataTransfer.files.length) { input.files = event.dataTransfer.files; form.requestSubmit(); }
            });
          });
        })();
        """#
}
