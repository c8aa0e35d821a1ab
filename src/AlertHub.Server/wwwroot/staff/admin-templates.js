// Compose templates (管理 → 定型文): the starting texts the compose screen offers, per hazard and language, stored in the
// hub (GET/PUT/DELETE /api/compose-templates). Admins adapt them to the city (which river, which shelter) so nobody has to
// rewrite 横手川 into 皆瀬川 at 3 a.m.
import { api, h, t, clear, formatTime, announce } from '/shared/common.js';
import { languageLabel, severityLabel, urgencyLabel, certaintyLabel, problemText } from './labels.js';
import { fill } from './dom.js';

const BASE_LANGUAGES = ['ja', 'ja-x-easy', 'en'];
const MORE_LANGUAGES = ['zh', 'ko', 'vi', 'pt', 'tl', 'ne', 'id', 'th', 'es'];
const SEVERITIES = ['Extreme', 'Severe', 'Moderate', 'Minor'];
const URGENCIES = ['Immediate', 'Expected', 'Future'];
const CERTAINTIES = ['Observed', 'Likely', 'Possible'];

export async function mount(container) {
  const status = h('p', { role: 'status', id: 'template-status', class: 'result' });
  const list = h('ul', { class: 'template-list', id: 'template-list' });
  const editor = h('section', { id: 'template-editor', class: 'card', 'aria-labelledby': 'template-editor-title' });
  container.append(h('p', { class: 'hint' }, t('templates.help')), status,
    h('div', { class: 'template-layout' }, h('div', {}, list, h('button', { type: 'button', id: 'template-new', onclick: () => edit(null) }, t('templates.add'))), editor));

  const fail = e => { status.dataset.state = 'error'; status.textContent = problemText(e); };
  const ok = message => { status.dataset.state = 'ok'; status.textContent = message; announce(message); };
  let templates = [];

  async function load(selectId) {
    try { templates = await api('GET', '/api/compose-templates'); } catch (e) { fail(e); return; }
    fill(list, templates.map(tpl => h('li', { dataset: { templateId: tpl.id } },
      h('button', { type: 'button', class: 'link', onclick: () => edit(tpl) }, tpl.name),
      h('small', { class: 'muted' }, ` ${tpl.event} · ${Object.keys(tpl.texts).map(languageLabel).join('・')} · ${t('templates.updated', { at: formatTime(tpl.updatedAt), by: tpl.updatedBy })}`))));
    const selected = templates.find(x => x.id === selectId) ?? templates[0];
    if (selected) edit(selected);
  }

  function edit(template) {
    const tpl = template ?? { id: '', name: '', event: '', severity: 'Severe', urgency: 'Immediate', certainty: 'Likely', texts: {} };
    const languages = [...new Set([...BASE_LANGUAGES, ...Object.keys(tpl.texts)])];
    const id = h('input', { id: 'template-id', value: tpl.id, required: true, maxlength: 40, pattern: '[a-z0-9][a-z0-9-]*', readonly: !!template, autocomplete: 'off' });
    const name = h('input', { id: 'template-name', value: tpl.name, required: true, maxlength: 60 });
    const eventName = h('input', { id: 'template-event', value: tpl.event, required: true, maxlength: 100 });
    const pick = (idSuffix, values, selected, label) => h('select', { id: `template-${idSuffix}` }, values.map(v => h('option', { value: v, selected: v === selected }, label(v))));
    const severity = pick('severity', SEVERITIES, tpl.severity, severityLabel);
    const urgency = pick('urgency', URGENCIES, tpl.urgency, urgencyLabel);
    const certainty = pick('certainty', CERTAINTIES, tpl.certainty, certaintyLabel);
    const texts = h('div', { id: 'template-texts' });
    const langBox = language => {
      const text = tpl.texts[language] ?? {};
      const fid = part => `template-${part}-${language}`;
      return h('fieldset', { class: 'text-lang', lang: language.startsWith('ja') ? 'ja' : language, dataset: { language } }, h('legend', {}, languageLabel(language)),
        h('div', { class: 'field' }, h('label', { for: fid('headline') }, t('compose.headline')), h('input', { id: fid('headline'), value: text.headline ?? '', maxlength: 200 })),
        h('div', { class: 'field' }, h('label', { for: fid('body') }, t('compose.body')), h('textarea', { id: fid('body'), rows: 3 }, text.body ?? '')),
        h('div', { class: 'field' }, h('label', { for: fid('instruction') }, t('compose.instruction')), h('textarea', { id: fid('instruction'), rows: 2 }, text.instruction ?? '')));
    };
    for (const language of languages) texts.append(langBox(language));
    const add = h('select', { id: 'template-add-language' }, MORE_LANGUAGES.filter(l => !languages.includes(l)).map(l => h('option', { value: l }, languageLabel(l))));
    const form = h('form', { id: 'template-form' },
      h('h3', { id: 'template-editor-title' }, template ? t('templates.editTitle', { name: tpl.name }) : t('templates.addTitle')),
      h('div', { class: 'row' },
        h('div', { class: 'field' }, h('label', { for: id.id }, t('templates.id')), id, h('span', { class: 'hint' }, t('templates.idHelp'))),
        h('div', { class: 'field' }, h('label', { for: name.id }, t('templates.name')), name),
        h('div', { class: 'field' }, h('label', { for: eventName.id }, t('compose.event')), eventName)),
      h('div', { class: 'row' },
        h('div', { class: 'field' }, h('label', { for: severity.id }, t('compose.severity')), severity),
        h('div', { class: 'field' }, h('label', { for: urgency.id }, t('compose.urgency')), urgency),
        h('div', { class: 'field' }, h('label', { for: certainty.id }, t('compose.certainty')), certainty)),
      texts,
      h('div', { class: 'row' }, h('div', { class: 'field' }, h('label', { for: add.id }, t('board.addLanguage')), add),
        h('button', { type: 'button', class: 'secondary', onclick: () => {
          if (!add.value || languages.includes(add.value)) return;
          languages.push(add.value);
          texts.append(langBox(add.value));
          add.querySelector(`option[value="${CSS.escape(add.value)}"]`)?.remove();
        } }, t('board.addLanguageButton'))),
      h('div', { class: 'toolbar' },
        h('button', { type: 'submit', class: 'primary', id: 'template-save' }, t('shelters.save')),
        template ? h('button', { type: 'button', class: 'danger', id: 'template-delete', onclick: () => remove(template) }, t('admin.delete')) : null));
    form.addEventListener('submit', async event => {
      event.preventDefault();
      const body = { name: name.value.trim(), event: eventName.value.trim(), severity: severity.value, urgency: urgency.value, certainty: certainty.value, texts: {} };
      for (const language of languages) {
        const value = part => form.querySelector(`#template-${part}-${CSS.escape(language)}`).value.trim();
        if (value('headline') || value('body')) body.texts[language] = { headline: value('headline'), body: value('body'), instruction: value('instruction') || undefined };
      }
      try {
        const saved = await api('PUT', `/api/compose-templates/${encodeURIComponent(id.value.trim())}`, body);
        ok(t('templates.saved', { name: saved.name }));
        await load(saved.id);
      } catch (e) { fail(e); }
    });
    fill(editor, form);
  }

  async function remove(template) {
    if (!confirm(t('templates.confirmDelete', { name: template.name }))) return;
    try {
      await api('DELETE', `/api/compose-templates/${encodeURIComponent(template.id)}`);
      ok(t('admin.deleted'));
      await load();
    } catch (e) { fail(e); }
  }

  await load();
}
