extension Templates {
    static let objects: [String: String] = [
        "browse": """
            <nav class="crumbs" aria-label="Breadcrumb"><a href="/buckets">Buckets</a>{{#crumbs}} / <a href="{{href}}">{{name}}</a>{{/crumbs}}</nav>
            <div class="bar">
            <h1 id="bucket-title">{{bucket}}</h1>
            {{#canSettings}}<a class="button" href="/buckets/{{bucket}}/settings" id="bucket-settings">Settings</a>{{/canSettings}}
            </div>
            <form method="get" action="/buckets/{{bucket}}" class="inline" role="search">
            <input type="hidden" name="prefix" value="{{prefix}}">
            <label for="filter">Filter by prefix</label>
            <input id="filter" name="filter" value="{{#filter}}{{.}}{{/filter}}" placeholder="name starts with…">
            <button type="submit">Filter</button>
            </form>
            {{#canUpload}}
            <form method="post" action="/buckets/{{bucket}}/upload" enctype="multipart/form-data" class="card upload" id="upload-form" data-bucket="{{bucket}}" data-prefix="{{prefix}}">
            <input type="hidden" name="_csrf" value="{{csrf}}">
            <input type="hidden" name="prefix" value="{{prefix}}">
            <label for="upload-files">Upload files to {{bucket}}/{{prefix}}</label>
            <input type="file" id="upload-files" name="files" multiple required>
            <button type="submit" id="upload">Upload</button>
            <progress id="upload-progress" max="100" value="0" hidden></progress>
            <p id="upload-status" class="hint" role="status" aria-live="polite"></p>
            </form>
            {{/canUpload}}
            {{#empty}}<p class="hint" id="empty">Nothing here{{#filter}} starting with “{{filter}}”{{/filter}}.</p>{{/empty}}
            {{^empty}}
            <table class="list" id="object-list">
            <thead><tr><th scope="col">Name</th><th scope="col" class="num">Size</th><th scope="col" class="opt">Modified</th><th scope="col"><span class="sr">Download</span></th></tr></thead>
            <tbody>
            {{#folders}}<tr class="folder"><td><a class="folder-link" href="{{href}}">{{name}}</a></td><td></td><td class="opt"></td><td></td></tr>
            {{/folders}}
            {{#objects}}<tr><td><a class="object-link" href="{{href}}" data-key="{{key}}">{{name}}</a></td><td class="num">{{size}}</td><td class="opt">{{modified}}</td><td><a href="{{download}}" aria-label="Download {{name}}">Download</a></td></tr>
            {{/objects}}
            </tbody></table>
            {{/empty}}
            <nav class="pages" aria-label="Pages">{{#first}}<a href="{{first}}" id="first-page">First page</a>{{/first}} {{#next}}<a href="{{next}}" id="next-page">Next page</a>{{/next}}</nav>
            """,
        "object": """
            <nav class="crumbs" aria-label="Breadcrumb"><a href="/buckets">Buckets</a> / <a href="{{folder}}">{{bucket}}</a></nav>
            <h1 id="object-key">{{key}}</h1>
            <div class="bar">
            <a class="button" href="{{download}}" id="download">Download</a>
            {{#canDelete}}
            <form method="post" action="/buckets/{{bucket}}/object/delete" class="inline" data-confirm="Delete {{key}}?">{{> csrf}}
            <input type="hidden" name="key" value="{{key}}"><input type="hidden" name="back" value="{{objectPage}}">
            <button type="submit" class="danger" id="delete-object">Delete</button></form>
            {{/canDelete}}
            </div>
            <section class="card">
            <h2>Details</h2>
            <dl>
            <dt>Size</dt><dd id="object-size" data-bytes="{{bytes}}">{{size}}</dd>
            <dt>Type</dt><dd>{{contentType}}</dd>
            <dt>ETag</dt><dd><code>{{etag}}</code></dd>
            <dt>Modified</dt><dd>{{modified}}</dd>
            {{#versionID}}<dt>Version</dt><dd><code id="object-version">{{.}}</code></dd>{{/versionID}}
            {{#metadata}}<dt>{{name}}</dt><dd>{{value}}</dd>{{/metadata}}
            </dl>
            </section>
            {{#preview}}
            <section class="card">
            <h2>Preview</h2>
            {{#text}}<pre class="preview" id="preview-text">{{text}}</pre>{{#truncated}}<p class="hint">The first 64 KiB.</p>{{/truncated}}{{/text}}
            {{#image}}<img class="preview" id="preview-image" src="{{image}}" alt="Preview of {{key}}">{{/image}}
            {{#isParquet}}<table class="list" id="parquet-schema"><thead><tr><th scope="col">Column</th><th scope="col">Type</th><th scope="col">Repetition</th><th scope="col">Field id</th></tr></thead><tbody>
            {{#parquet}}<tr><td>{{name}}</td><td>{{type}}</td><td>{{repetition}}</td><td>{{fieldID}}</td></tr>{{/parquet}}
            </tbody></table>{{/isParquet}}
            </section>
            {{/preview}}
            {{#hasVersions}}
            <section class="card">
            <h2>Versions</h2>
            <table class="list" id="versions">
            <thead><tr><th scope="col">Version</th><th scope="col" class="num">Size</th><th scope="col">Modified</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
            <tbody>
            {{#versions}}<tr class="version" data-version="{{id}}"><td><a href="{{href}}"><code>{{id}}</code></a>{{#latest}} <strong>latest</strong>{{/latest}}{{#marker}} (delete marker){{/marker}}</td><td class="num">{{size}}</td><td>{{modified}}</td>
            <td class="actions">{{^marker}}<a href="{{download}}">Download</a>{{/marker}}
            {{#mayRestore}}{{#canRestore}}<form method="post" action="/buckets/{{bucket}}/object/restore" class="inline">{{> csrf}}<input type="hidden" name="key" value="{{key}}"><input type="hidden" name="version" value="{{id}}"><input type="hidden" name="back" value="{{objectPage}}"><button type="submit" class="restore">Restore</button></form>{{/canRestore}}{{/mayRestore}}
            {{#canDeleteVersion}}<form method="post" action="/buckets/{{bucket}}/object/delete-version" class="inline" data-confirm="Delete this version permanently?">{{> csrf}}<input type="hidden" name="key" value="{{key}}"><input type="hidden" name="version" value="{{id}}"><input type="hidden" name="back" value="{{objectPage}}"><button type="submit" class="danger delete-version">Delete permanently</button></form>{{/canDeleteVersion}}
            </td></tr>
            {{/versions}}
            </tbody></table>
            {{#moreVersions}}<p class="hint" id="more-versions">The first 1,000 versions under this name; list the rest with <code>floe ls --versions</code> or any S3 client.</p>{{/moreVersions}}
            </section>
            {{/hasVersions}}
            {{#canShare}}
            <section class="card">
            <h2>Share</h2>
            <form method="post" action="/buckets/{{bucket}}/object/share" class="inline">{{> csrf}}
            <input type="hidden" name="key" value="{{key}}"><input type="hidden" name="version" value="{{version}}"><input type="hidden" name="back" value="{{objectPage}}">
            <label for="share-expires">Link valid for</label>
            <select id="share-expires" name="expires"><option value="3600">1 hour</option><option value="86400">1 day</option><option value="604800">7 days</option></select>
            <button type="submit" id="share">Create link</button>
            </form>
            </section>
            {{/canShare}}
            <section class="card">
            <h2>Tags</h2>
            {{#canTags}}
            <form method="post" action="/buckets/{{bucket}}/object/tags">{{> csrf}}
            <input type="hidden" name="key" value="{{key}}"><input type="hidden" name="back" value="{{objectPage}}">
            <label for="object-tags">One key=value per line</label>
            <textarea id="object-tags" name="tags" rows="3">{{tags}}</textarea>
            <button type="submit" id="save-tags">Save tags</button>
            </form>
            {{/canTags}}
            {{^canTags}}<pre>{{tags}}</pre>{{/canTags}}
            </section>
            """,
        "shared": """
            <h1>Share link</h1>
            <p>Anyone with this link can download <strong>{{key}}</strong> until {{expires}}:</p>
            <p><input class="code wide" id="share-url" value="{{url}}" readonly aria-label="Share link"></p>
            <p><a href="{{object}}">Back to the object</a></p>
            """,
    ]
}
