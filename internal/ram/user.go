package ram

import (
	"context"
	"errors"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

type userItem struct {
	UserID        string `json:"UserId,omitempty" xml:"UserId,omitempty"`
	UserName      string `json:"UserName" xml:"UserName"`
	DisplayName   string `json:"DisplayName" xml:"DisplayName"`
	Email         string `json:"Email,omitempty" xml:"Email,omitempty"`
	MobilePhone   string `json:"MobilePhone,omitempty" xml:"MobilePhone,omitempty"`
	Comments      string `json:"Comments,omitempty" xml:"Comments,omitempty"`
	CreateDate    string `json:"CreateDate,omitempty" xml:"CreateDate,omitempty"`
	UpdateDate    string `json:"UpdateDate,omitempty" xml:"UpdateDate,omitempty"`
	LastLoginDate string `json:"LastLoginDate,omitempty" xml:"LastLoginDate,omitempty"`
	JoinDate      string `json:"JoinDate,omitempty" xml:"JoinDate,omitempty"`
	AttachDate    string `json:"AttachDate,omitempty" xml:"AttachDate,omitempty"`
}

func newUserItem(u localyun.User) userItem {
	return userItem{UserID: u.ID, UserName: u.Name, DisplayName: u.DisplayName, Email: u.Email, MobilePhone: u.MobilePhone,
		Comments: u.Comments, CreateDate: date(u.CreatedAt), UpdateDate: date(u.UpdatedAt)}
}

type userResponse struct {
	User userItem `json:"User" xml:"User"`
}

type usersList struct {
	User []userItem `json:"User" xml:"User"`
}

type listUsersResponse struct {
	IsTruncated bool      `json:"IsTruncated" xml:"IsTruncated"`
	Marker      string    `json:"Marker,omitempty" xml:"Marker,omitempty"`
	Users       usersList `json:"Users" xml:"Users"`
}

func userName(r *protocol.Request, param string) (string, error) {
	return name(r, param, 64, userNameRE)
}

func userError(err error) error {
	switch {
	case errors.Is(err, localyun.ErrNotFound):
		return errUserNotExist
	case errors.Is(err, localyun.ErrAlreadyExists):
		return errUserExists
	}
	switch conflictWith(err) {
	case "AccessKey":
		return errUserKeys
	case "Policy":
		return errUserPolicies
	case "Group":
		return errUserGroups
	}
	return err
}

// createUser serves CreateUser (2015-05-01).
func (h handlers) createUser(ctx context.Context, r *protocol.Request) (any, error) {
	n, err := userName(r, "UserName")
	if err != nil {
		return nil, err
	}
	u := localyun.User{ID: numericID(), AccountID: accountOf(ctx), Name: n}
	for _, f := range []struct {
		dst   *string
		param string
		max   int
	}{{&u.DisplayName, "DisplayName", 128}, {&u.Comments, "Comments", 128}, {&u.Email, "Email", 128}, {&u.MobilePhone, "MobilePhone", 32}} {
		if *f.dst, err = text(r, f.param, f.max); err != nil {
			return nil, err
		}
	}
	if u.DisplayName == "" {
		u.DisplayName = n
	}
	u.CreatedAt = h.s.now()
	u.UpdatedAt = u.CreatedAt
	if err := h.s.store.CreateUser(ctx, u); err != nil {
		return nil, userError(err)
	}
	it := newUserItem(u)
	it.UpdateDate = ""
	return userResponse{User: it}, nil
}

// getUser serves GetUser (2015-05-01).
func (h handlers) getUser(ctx context.Context, r *protocol.Request) (any, error) {
	n, err := userName(r, "UserName")
	if err != nil {
		return nil, err
	}
	u, err := h.s.store.FindUserByName(ctx, accountOf(ctx), n)
	if err != nil {
		return nil, userError(err)
	}
	return userResponse{User: newUserItem(u)}, nil
}

// listUsers serves ListUsers (2015-05-01): Marker/MaxItems paging.
func (h handlers) listUsers(ctx context.Context, r *protocol.Request) (any, error) {
	max, err := maxItems(r)
	if err != nil {
		return nil, err
	}
	after, err := decodeMarker(r.Get("Marker"))
	if err != nil {
		return nil, err
	}
	users, err := h.s.store.FindUsers(ctx, localyun.UserFilter{AccountID: accountOf(ctx), After: after, Limit: max + 1})
	if err != nil {
		return nil, err
	}
	out := listUsersResponse{Users: usersList{User: []userItem{}}}
	if len(users) > max {
		users = users[:max]
		out.IsTruncated, out.Marker = true, encodeMarker(users[max-1].Name)
	}
	for _, u := range users {
		out.Users.User = append(out.Users.User, newUserItem(u))
	}
	return out, nil
}

// updateUser serves UpdateUser (2015-05-01).
func (h handlers) updateUser(ctx context.Context, r *protocol.Request) (any, error) {
	n, err := userName(r, "UserName")
	if err != nil {
		return nil, err
	}
	upd := localyun.UserUpdate{UpdatedAt: h.s.now()}
	if r.Has("NewUserName") {
		nn, err := userName(r, "NewUserName")
		if err != nil {
			return nil, err
		}
		upd.Name = &nn
	}
	for _, f := range []struct {
		dst   **string
		param string
		max   int
	}{{&upd.DisplayName, "NewDisplayName", 128}, {&upd.Comments, "NewComments", 128}, {&upd.Email, "NewEmail", 128}, {&upd.MobilePhone, "NewMobilePhone", 32}} {
		if *f.dst, err = optText(r, f.param, f.max); err != nil {
			return nil, err
		}
	}
	u, err := h.s.store.UpdateUser(ctx, accountOf(ctx), n, upd)
	if err != nil {
		return nil, userError(err)
	}
	return userResponse{User: newUserItem(u)}, nil
}

// deleteUser serves DeleteUser (2015-05-01): refused while the user has
// access keys, policies or groups.
func (h handlers) deleteUser(ctx context.Context, r *protocol.Request) (any, error) {
	n, err := userName(r, "UserName")
	if err != nil {
		return nil, err
	}
	return nil, userError(h.s.store.DeleteUser(ctx, accountOf(ctx), n))
}

// Access keys.

type accessKeyItem struct {
	AccessKeyID     string `json:"AccessKeyId" xml:"AccessKeyId"`
	AccessKeySecret string `json:"AccessKeySecret,omitempty" xml:"AccessKeySecret,omitempty"`
	Status          string `json:"Status" xml:"Status"`
	CreateDate      string `json:"CreateDate" xml:"CreateDate"`
}

type createAccessKeyResponse struct {
	AccessKey accessKeyItem `json:"AccessKey" xml:"AccessKey"`
}

type listAccessKeysResponse struct {
	AccessKeys struct {
		AccessKey []accessKeyItem `json:"AccessKey" xml:"AccessKey"`
	} `json:"AccessKeys" xml:"AccessKeys"`
}

type lastUsedResponse struct {
	AccessKeyLastUsed struct {
		LastUsedDate string `json:"LastUsedDate" xml:"LastUsedDate"`
	} `json:"AccessKeyLastUsed" xml:"AccessKeyLastUsed"`
}

// keyOwner resolves whose keys a call acts on: the UserName parameter, or
// the caller itself ("" for the account root). Role sessions own no keys.
func (h handlers) keyOwner(ctx context.Context, r *protocol.Request) (string, error) {
	if r.Get("UserName") != "" {
		n, err := userName(r, "UserName")
		if err != nil {
			return "", err
		}
		u, err := h.s.store.FindUserByName(ctx, accountOf(ctx), n)
		if err != nil {
			return "", userError(err)
		}
		return u.Name, nil
	}
	p, _ := localyun.PrincipalFromContext(ctx)
	switch p.Type {
	case localyun.PrincipalTypeRoot:
		return "", nil
	case localyun.PrincipalTypeUser:
		return p.UserName, nil
	}
	return "", errNoSelf
}

// createAccessKey serves CreateAccessKey (2015-05-01): the only answer
// that carries the secret.
func (h handlers) createAccessKey(ctx context.Context, r *protocol.Request) (any, error) {
	owner, err := h.keyOwner(ctx, r)
	if err != nil {
		return nil, err
	}
	k := localyun.AccessKey{ID: "LTAI5t" + randomAlnum(18), Secret: randomAlnum(30), AccountID: accountOf(ctx),
		UserName: owner, Status: localyun.AccessKeyActive, CreatedAt: h.s.now()}
	if owner == "" {
		keys, err := h.s.store.FindAccessKeys(ctx, k.AccountID, "")
		if err != nil {
			return nil, err
		}
		if len(keys) >= MaxAccessKeysPerUser {
			return nil, errKeyLimit
		}
		err = h.s.store.CreateAccessKey(ctx, k)
	} else {
		err = h.s.store.CreateUserAccessKey(ctx, k, MaxAccessKeysPerUser)
	}
	switch {
	case errors.Is(err, localyun.ErrLimitExceeded):
		return nil, errKeyLimit
	case err != nil:
		return nil, userError(err)
	}
	return createAccessKeyResponse{AccessKey: accessKeyItem{AccessKeyID: k.ID, AccessKeySecret: k.Secret,
		Status: k.Status, CreateDate: date(k.CreatedAt)}}, nil
}

// listAccessKeys serves ListAccessKeys (2015-05-01); secrets never appear.
func (h handlers) listAccessKeys(ctx context.Context, r *protocol.Request) (any, error) {
	owner, err := h.keyOwner(ctx, r)
	if err != nil {
		return nil, err
	}
	keys, err := h.s.store.FindAccessKeys(ctx, accountOf(ctx), owner)
	if err != nil {
		return nil, err
	}
	var out listAccessKeysResponse
	out.AccessKeys.AccessKey = []accessKeyItem{}
	for _, k := range keys {
		out.AccessKeys.AccessKey = append(out.AccessKeys.AccessKey, accessKeyItem{AccessKeyID: k.ID, Status: k.Status, CreateDate: date(k.CreatedAt)})
	}
	return out, nil
}

func keyID(r *protocol.Request) (string, error) {
	id := r.Get("UserAccessKeyId")
	switch {
	case id == "":
		return "", errMissing("UserAccessKeyId")
	case len(id) > 128:
		return "", errLength("UserAccessKeyId")
	}
	return id, nil
}

func keyError(err error) error {
	if errors.Is(err, localyun.ErrNotFound) {
		return errKeyNotExist
	}
	return err
}

// updateAccessKey serves UpdateAccessKey (2015-05-01): Active or Inactive.
func (h handlers) updateAccessKey(ctx context.Context, r *protocol.Request) (any, error) {
	owner, err := h.keyOwner(ctx, r)
	if err != nil {
		return nil, err
	}
	id, err := keyID(r)
	if err != nil {
		return nil, err
	}
	status := r.Get("Status")
	switch status {
	case "":
		return nil, errMissing("Status")
	case localyun.AccessKeyActive, localyun.AccessKeyInactive:
	default:
		return nil, errInvalid("Status")
	}
	return nil, keyError(h.s.store.UpdateAccessKeyStatus(ctx, accountOf(ctx), owner, id, status))
}

// deleteAccessKey serves DeleteAccessKey (2015-05-01).
func (h handlers) deleteAccessKey(ctx context.Context, r *protocol.Request) (any, error) {
	owner, err := h.keyOwner(ctx, r)
	if err != nil {
		return nil, err
	}
	id, err := keyID(r)
	if err != nil {
		return nil, err
	}
	return nil, keyError(h.s.store.DeleteAccessKey(ctx, accountOf(ctx), owner, id))
}

// getAccessKeyLastUsed serves GetAccessKeyLastUsed (2015-05-01).
func (h handlers) getAccessKeyLastUsed(ctx context.Context, r *protocol.Request) (any, error) {
	owner, err := h.keyOwner(ctx, r)
	if err != nil {
		return nil, err
	}
	id, err := keyID(r)
	if err != nil {
		return nil, err
	}
	t, err := h.s.store.FindAccessKeyLastUsed(ctx, accountOf(ctx), owner, id)
	if err != nil {
		return nil, keyError(err)
	}
	var out lastUsedResponse
	out.AccessKeyLastUsed.LastUsedDate = date(t)
	return out, nil
}
