//! MaxIM §7: announcements, shared files and QR invitations.

use serde_json::json;

use crate::groups::create;
use crate::support::{TestApp, api_test, id, text};

async fn admins_publish_announcements_members_read_them(app: &TestApp) -> anyhow::Result<()> {
    let (owner, to) = app.user("owner").await?;
    let (bob, tb) = app.user("bob").await?;
    let (_, outsider) = app.user("outsider").await?;
    let g = create(app, &to, &[bob]).await?;
    app.get("/group/announcement/last")
        .token(&tb)
        .query(&[("group_id", g)])
        .refused(20020)
        .await?;
    app.post("/group/announcement/edit")
        .token(&tb)
        .json(json!({"group_id": g, "title": "t", "content": "c"}))
        .refused(20012)
        .await?;
    let first = app
        .post("/group/announcement/edit")
        .token(&to)
        .json(json!({"group_id": g, "title": "Welcome", "content": "Be nice"}))
        .ok()
        .await?;
    assert_eq!(first["author"], owner);
    assert_eq!(first["group_id"], g);
    let second = app
        .post("/group/announcement/edit")
        .token(&to)
        .json(json!({"group_id": g, "title": "Update", "content": "New rules"}))
        .ok()
        .await?;
    let (a1, a2) = (id(&first["id"])?, id(&second["id"])?);
    let got = app
        .get("/group/announcement")
        .token(&tb)
        .query(&[("group_id", g), ("announcement_id", a1)])
        .ok()
        .await?;
    assert_eq!(got["title"], "Welcome");
    let last = app
        .get("/group/announcement/last")
        .token(&tb)
        .query(&[("group_id", g)])
        .ok()
        .await?;
    assert_eq!(last["id"], a2);
    let list = app
        .get("/group/announcement/list")
        .token(&tb)
        .query(&[("group_id", g)])
        .ok()
        .await?;
    assert_eq!(
        list.as_array()
            .map(|l| l.iter().map(|a| a["id"].clone()).collect::<Vec<_>>()),
        Some(vec![json!(a2), json!(a1)])
    );
    app.get("/group/announcement/list")
        .token(&outsider)
        .query(&[("group_id", g)])
        .refused(20011)
        .await?;
    app.delete("/group/announcement/delete")
        .token(&to)
        .query(&[("group_id", g), ("announcement_id", a2)])
        .ok()
        .await?;
    app.post("/group/announcement/delete")
        .token(&to)
        .query(&[("group_id", g), ("announcement_id", a2)])
        .refused(20020)
        .await?;
    app.get("/group/announcement")
        .token(&tb)
        .query(&[("group_id", g), ("announcement_id", a2)])
        .refused(20020)
        .await?;
    app.post("/group/announcement/edit")
        .token(&to)
        .json(json!({"group_id": g, "title": "", "content": "c"}))
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(admins_publish_announcements_members_read_them);

async fn shared_files_are_managed_by_uploader_or_admin(app: &TestApp) -> anyhow::Result<()> {
    let (_, to) = app.user("owner").await?;
    let (bob, tb) = app.user("bob").await?;
    let (cid, tc) = app.user("cid").await?;
    let g = create(app, &to, &[bob, cid]).await?;
    let upload = |token: &str, name: &str| {
        app.post("/group/file/upload").token(token).json(json!({
            "group_id": g, "name": name, "size": 12, "type": "text", "url": format!("https://files/{name}")
        }))
    };
    let f1 = upload(&tb, "a.txt").ok().await?;
    assert_eq!(f1["uploader"], bob);
    assert_eq!(f1["type"], "text");
    let f2 = upload(&tc, "b.txt").ok().await?;
    let (f1, f2) = (id(&f1["file_id"])?, id(&f2["file_id"])?);
    let list = app
        .get("/group/file/list")
        .token(&to)
        .query(&[("group_id", g)])
        .ok()
        .await?;
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    assert_eq!(list[0]["file_id"], f2, "newest first");
    app.post("/group/file/update_name")
        .token(&tc)
        .json(json!({"group_id": g, "file_id": f1, "name": "mine.txt"}))
        .refused(20023)
        .await?;
    app.post("/group/file/update_name")
        .token(&tb)
        .json(json!({"group_id": g, "file_id": f1, "name": "renamed.txt"}))
        .ok()
        .await?;
    app.put("/group/file/update_name")
        .token(&to)
        .json(json!({"group_id": g, "file_id": f2, "name": "by-owner.txt"}))
        .ok()
        .await?;
    let got = app
        .get("/group/file")
        .token(&tc)
        .query(&[("group_id", g), ("file_id", f1)])
        .ok()
        .await?;
    assert_eq!(got["name"], "renamed.txt");
    let deleted = app
        .post("/group/file/delete")
        .token(&tc)
        .json(json!({"group_id": g, "file_list": [f1, f2, 4242]}))
        .ok()
        .await?;
    let results: Vec<_> = deleted
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| r["result"].clone())
        .collect();
    assert_eq!(
        results,
        vec![json!("fail"), json!("success"), json!("fail")]
    );
    assert_eq!(deleted[2]["reason"], "shared file does not exist");
    app.delete("/group/file/delete")
        .token(&to)
        .json(json!({"group_id": g, "file_list": [f1]}))
        .ok()
        .await?;
    app.get("/group/file")
        .token(&tc)
        .query(&[("group_id", g), ("file_id", f1)])
        .refused(20022)
        .await?;
    upload(&tb, "").refused(10002).await?;
    Ok(())
}
api_test!(shared_files_are_managed_by_uploader_or_admin);

async fn qr_invitations_join_and_cannot_be_forged(app: &TestApp) -> anyhow::Result<()> {
    let (_, to) = app.user("owner").await?;
    let (bob, tb) = app.user("bob").await?;
    let (_, tc) = app.user("cid").await?;
    let g = create(app, &to, &[]).await?;
    app.get("/group/qrcode/sign")
        .token(&tb)
        .query(&[("group_id", g)])
        .refused(20011)
        .await?;
    let code = app
        .get("/group/qrcode/sign")
        .token(&to)
        .query(&[("group_id", g)])
        .ok()
        .await?;
    let qr = text(&code["qr_info"])?;
    assert!(code["expire_at"].as_i64() > code["create_at"].as_i64());
    let joined = app
        .post("/group/qrcode/invite")
        .token(&tb)
        .json(json!({"qr_info": qr}))
        .ok()
        .await?;
    assert_eq!(joined, json!(g));
    let members = app
        .get("/group/member_list")
        .token(&to)
        .query(&[("group_id", g)])
        .ok()
        .await?;
    assert!(
        members
            .as_array()
            .is_some_and(|m| m.iter().any(|x| x["user_id"] == bob))
    );
    app.post("/group/qrcode/invite")
        .token(&tb)
        .json(json!({"qr_info": qr}))
        .refused(20017)
        .await?;
    let mut forged = qr.clone();
    let last = forged
        .pop()
        .map_or('0', |c| if c == '0' { '1' } else { '0' });
    forged.push(last);
    app.post("/group/qrcode/invite")
        .token(&tc)
        .json(json!({"qr_info": forged}))
        .refused(20024)
        .await?;
    app.post("/group/qrcode/invite")
        .token(&tc)
        .json(json!({"qr_info": "not a code"}))
        .refused(20024)
        .await?;
    Ok(())
}
api_test!(qr_invitations_join_and_cannot_be_forged);

async fn an_expired_qr_invitation_is_20025(app: &TestApp) -> anyhow::Result<()> {
    let (_, to) = app.user("owner").await?;
    let (_, tb) = app.user("bob").await?;
    let g = create(app, &to, &[]).await?;
    let code = app
        .get("/group/qrcode/sign")
        .token(&to)
        .query(&[("group_id", g)])
        .ok()
        .await?;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.post("/group/qrcode/invite")
        .token(&tb)
        .json(json!({"qr_info": code["qr_info"]}))
        .refused(20025)
        .await?;
    Ok(())
}
api_test!(an_expired_qr_invitation_is_20025, |config| config
    .groups
    .qr_ttl_secs =
    1);
