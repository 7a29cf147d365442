package bastionhost

import (
	"context"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// The user family: CreateUser, GetUser, ListUsers, ModifyUser, DeleteUser.
// Their rules are in user_service.go.

func registerUsers(m *protocol.Mux, s *Service) {
	handleInstance(m, s, "CreateUser", parseCreateUser, func(ctx context.Context, in CreateUserInput) (any, error) {
		id, err := s.CreateUser(ctx, in)
		if err != nil {
			return nil, err
		}
		return createUserResponse{UserID: id}, nil
	})
	handleInstance(m, s, "GetUser", parseObjectRef("UserId"), func(ctx context.Context, in ObjectRef) (any, error) {
		u, err := s.GetUser(ctx, in)
		if err != nil {
			return nil, err
		}
		return getUserResponse{User: userItemOf(u, s.userState(u))}, nil
	})
	handleInstance(m, s, "ListUsers", parseListUsers, func(ctx context.Context, in ListUsersInput) (any, error) {
		users, total, err := s.ListUsers(ctx, in)
		if err != nil {
			return nil, err
		}
		out := listUsersResponse{TotalCount: int32(total), Users: []userItem{}}
		for _, u := range users {
			out.Users = append(out.Users, userItemOf(u, s.userState(u)))
		}
		return out, nil
	})
	handleInstance(m, s, "ModifyUser", parseModifyUser, func(ctx context.Context, in ModifyUserInput) (any, error) {
		return nil, s.ModifyUser(ctx, in)
	})
	handleInstance(m, s, "DeleteUser", parseObjectRef("UserId"), func(ctx context.Context, in ObjectRef) (any, error) {
		return nil, s.DeleteUser(ctx, in)
	})
}

// twoFactorMethods parses TwoFactorMethods: a JSON array of method names.
func twoFactorMethods(r *protocol.Request) (*[]string, error) {
	if !r.Has("TwoFactorMethods") {
		return nil, nil
	}
	var ms []string
	if s := r.Get("TwoFactorMethods"); s != "" {
		if err := decodeStrict(s, &ms); err != nil || len(ms) > 4 {
			return nil, errInvalid("TwoFactorMethods", `must be a JSON array such as ["sms","email"]`)
		}
	}
	return &ms, nil
}

// userUpdate parses the parameters CreateUser and ModifyUser share.
func userUpdate(r *protocol.Request) (UserUpdate, error) {
	u := UserUpdate{DisplayName: optional(r, "DisplayName"), Comment: optional(r, "Comment"), Email: optional(r, "Email"),
		Mobile: optional(r, "Mobile"), MobileCountryCode: optional(r, "MobileCountryCode"),
		TwoFactorStatus: optional(r, "TwoFactorStatus"), LanguageStatus: optional(r, "LanguageStatus"),
		Language: optional(r, "Language"), Password: optional(r, "Password")}
	var err error
	if u.NeedResetPassword, err = boolParam(r, "NeedResetPassword"); err != nil {
		return u, err
	}
	if u.EffectiveStartTime, err = int64Param(r, "EffectiveStartTime"); err != nil {
		return u, err
	}
	if u.EffectiveEndTime, err = int64Param(r, "EffectiveEndTime"); err != nil {
		return u, err
	}
	u.TwoFactorMethods, err = twoFactorMethods(r)
	return u, err
}

// CreateUserInput is the parsed input of CreateUser: a user ValidateUser
// accepted and its password, checked against the Local password policy.
type CreateUserInput struct {
	InstanceRef
	User   localyun.BastionUser
	Secret localyun.BastionSecret
}

func parseCreateUser(r *protocol.Request) (CreateUserInput, error) {
	ref, err := parseInstanceRef(r)
	if err != nil {
		return CreateUserInput{}, err
	}
	for _, name := range []string{"UserName", "Source"} {
		if _, err := required(r, name); err != nil {
			return CreateUserInput{}, err
		}
	}
	upd, err := userUpdate(r)
	if err != nil {
		return CreateUserInput{}, err
	}
	u := upd.apply(localyun.BastionUser{Name: r.Get("UserName"), Source: r.Get("Source"),
		SourceUserID: strings.TrimSpace(r.Get("SourceUserId"))})
	if err := ValidateUser(&u); err != nil {
		return CreateUserInput{}, err
	}
	in := CreateUserInput{InstanceRef: ref, User: u}
	if in.Secret.Password, err = newUserPassword(u, upd.Password); err != nil {
		return CreateUserInput{}, err
	}
	return in, nil
}

// ListUsersInput is the parsed input of ListUsers: the filter of the
// instance's users (its Now is the service's).
type ListUsersInput struct {
	InstanceRef
	Filter localyun.BastionUserFilter
}

func parseListUsers(r *protocol.Request) (ListUsersInput, error) {
	ref, err := parseInstanceRef(r)
	if err != nil {
		return ListUsersInput{}, err
	}
	f := localyun.BastionUserFilter{Name: r.Get("UserName"), DisplayName: r.Get("DisplayName"), Mobile: r.Get("Mobile"),
		SourceUserID: r.Get("SourceUserId"), UserGroupID: r.Get("UserGroupId")}
	if f.Source, err = enumParam(r, "Source", localyun.BastionUserLocal, localyun.BastionUserRAM, localyun.BastionUserAD, localyun.BastionUserLDAP); err != nil {
		return ListUsersInput{}, err
	}
	if f.State, err = enumParam(r, "UserState", localyun.BastionUserNormal, localyun.BastionUserFrozen, localyun.BastionUserExpired); err != nil {
		return ListUsersInput{}, err
	}
	if f.Offset, f.Limit, err = paging(r, 20); err != nil {
		return ListUsersInput{}, err
	}
	return ListUsersInput{InstanceRef: ref, Filter: f}, nil
}

// ModifyUserInput is the parsed input of ModifyUser: the parameters sent.
type ModifyUserInput struct {
	ObjectRef
	Update UserUpdate
}

func parseModifyUser(r *protocol.Request) (ModifyUserInput, error) {
	ref, err := parseObjectRef("UserId")(r)
	if err != nil {
		return ModifyUserInput{}, err
	}
	upd, err := userUpdate(r)
	return ModifyUserInput{ObjectRef: ref, Update: upd}, err
}

func userItemOf(u localyun.BastionUser, state string) userItem {
	methods := u.TwoFactorMethods
	if methods == nil {
		methods = []string{}
	}
	return userItem{UserID: u.ID, UserName: u.Name, DisplayName: u.DisplayName, Comment: u.Comment, Email: u.Email,
		Mobile: u.Mobile, MobileCountryCode: u.MobileCountryCode, Source: u.Source, SourceUserID: u.SourceUserID,
		NeedResetPassword: u.NeedResetPassword, EffectiveStartTime: u.EffectiveStartTime, EffectiveEndTime: u.EffectiveEndTime,
		TwoFactorStatus: u.TwoFactorStatus, TwoFactorMethods: methods, LanguageStatus: u.LanguageStatus, Language: u.Language,
		UserState: []string{state}}
}
