// Admins: a clerk's card on their window screen (工号 and photo). The users table shows each
// account's 工号 and a thumbnail; 修改 opens a form to set or clear the 工号, upload a JPEG or
// PNG photo (checked by the server: at most 512 KB, each side 120-2400 px, upright or square)
// or remove it. The photo reaches only staff and the window screens.
import { html, useState } from '/staff/vendor/htm-preact-standalone.module.js';
import { api } from '/staff/api.js';

/** The 工号 and photo cell of one user's row. */
export function CardCell({ user, card, onEdit }) {
  return html`<td class="user-card">
    ${card && card.photo
      ? html`<img class="user-photo" src=${card.photo.url} alt=${`${user.name} 的照片`} width="36" height="48" />`
      : html`<span class="user-photo none" title="无照片">无照片</span>`}
    <span class="user-staff-no">${card && card.staff_no ? card.staff_no : '—'}</span>
    <button class="link card-edit" onClick=${onEdit}>修改</button></td>`;
}

/** The form for one user's card; `done(message)` after a change, `fail(message)` on a refusal. */
export function CardForm({ user, card, done, fail, close }) {
  const [staffNo, setStaffNo] = useState((card && card.staff_no) || '');
  const [busy, setBusy] = useState(false);
  const base = `/api/v1/users/${user.username}`;
  const act = async (f, ok) => {
    setBusy(true);
    try { await f(); done(ok); } catch (e) { fail(e.message); } finally { setBusy(false); }
  };
  const saveNo = (e) => {
    e.preventDefault();
    act(() => api('PUT', `${base}/staff-no`, { staff_no: staffNo.trim() || null }), staffNo.trim() ? `已设置工号 ${staffNo.trim()}` : '已清除工号');
  };
  const upload = (e) => {
    const file = e.target.files && e.target.files[0];
    e.target.value = '';
    if (file) act(() => api('PUT', `${base}/photo`, file), '已更换照片，窗口屏一分钟内更新');
  };
  return html`<form class="admin-add" id="card-form" onSubmit=${saveNo}>
    <b>${user.name}（${user.username}）的窗口屏名片</b>
    ${card && card.photo && html`<img class="card-photo" src=${card.photo.url} alt="当前照片" />`}
    <input id="card-staff-no" placeholder="工号，如 SD-0123（空：不显示）" maxlength="16" value=${staffNo}
      onInput=${(e) => setStaffNo(e.target.value)} />
    <button class="primary" id="card-save" type="submit" disabled=${busy}>保存工号</button>
    <label class="file-button">上传照片（JPEG/PNG，竖幅，≤512 KB）
      <input id="card-photo" type="file" accept="image/jpeg,image/png" onChange=${upload} disabled=${busy} /></label>
    ${card && card.photo && html`<button type="button" id="card-photo-remove" disabled=${busy}
      onClick=${() => act(() => api('DELETE', `${base}/photo`), '已删除照片')}>删除照片</button>`}
    <button type="button" onClick=${close}>关闭</button>
  </form>`;
}
